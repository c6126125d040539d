/*
 * splatkit's corrections to vis-network 9.1.2 (the build pyvis ships), appended to
 * vis-network's own script wherever splatkit sends it (splatkit/render/assets.py): the HTML
 * pages inline both, the notebook widget gets both from its kernel once per page, so the
 * corrections weigh nothing in a saved notebook. They register `vis.splatkitFix(network)`,
 * which the drawing code (lock_graph.js) calls on every network it makes:
 *   - a click or hover on arrows picks the arrow drawn under the pointer, measured to the
 *     curve as drawn;
 *   - only the arrows that run through the view are drawn, and only the arrowheads of those
 *     that end near it.
 * Both reach into vis-network's internals (the selection handler, the renderer), checked
 * before use: with a build that lacks them, the drawing works as vis-network alone would.
 * Classic script, no import/export: it runs right after vis-network's UMD bundle, in a page
 * (where the bundle set the global `vis`) or in the widget's loader (where it filled `exports`).
 */
;(function (vis) {
  "use strict";
  if (!vis || typeof vis.Network !== "function" || vis.splatkitFix) return;

  /** Distance from (px, py) to the segment from (ax, ay) to (bx, by). */
  function segmentDistance(ax, ay, bx, by, px, py) {
    const dx = bx - ax;
    const dy = by - ay;
    const len = dx * dx + dy * dy;
    let t = len ? ((px - ax) * dx + (py - ay) * dy) / len : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const x = ax + t * dx - px;
    const y = ay + t * dy - py;
    return Math.sqrt(x * x + y * y);
  }

  /**
   * The distance from (px, py) to the quadratic curve from (x1, y1) through control point `via`
   * to (x2, y2), as drawn (a straight arrow: `via` halfway). vis-network's own
   * (BezierEdgeBase._getDistanceToBezierEdge) measures to nine chords from t = 0 to 0.9: the
   * last tenth of an arrow is missing, and on an arrow thousands of pixels long a chord runs
   * many pixels inside the curve, so a click on an arrow could select another arrow, or none. Here the chords cover the whole curve and each stays
   * within a tenth of a pixel of it; a point farther than any pick distance (vis-network picks
   * within 10) from the curve's bounding box gets that distance, a lower bound, unsampled.
   */
  function curveDistance(x1, y1, x2, y2, px, py, via) {
    const ox = Math.max(Math.min(x1, x2, via.x) - px, 0, px - Math.max(x1, x2, via.x));
    const oy = Math.max(Math.min(y1, y2, via.y) - py, 0, py - Math.max(y1, y2, via.y));
    const outside = Math.sqrt(ox * ox + oy * oy);
    if (outside > 20) return outside;
    // A chord over 1/n of the curve strays |P''| / (8 n^2) from it, with P'' = 2 (from - 2 via + to).
    const bend = Math.hypot(x1 - 2 * via.x + x2, y1 - 2 * via.y + y2);
    const n = Math.min(400, Math.max(10, Math.ceil(Math.sqrt(bend / 0.4))));
    let best = Infinity;
    let lx = x1;
    let ly = y1;
    for (let i = 1; i <= n; i++) {
      const t = i / n;
      const u = 1 - t;
      const x = u * u * x1 + 2 * t * u * via.x + t * t * x2;
      const y = u * u * y1 + 2 * t * u * via.y + t * t * y2;
      const d = segmentDistance(lx, ly, x, y, px, py);
      if (d < best) best = d;
      lx = x;
      ly = y;
    }
    return best;
  }

  /**
   * Where an arrow's curve runs: the box around its ends and control point (the curve stays in
   * that triangle) and 16 chords of it, each at most `stray` off the curve. Kept on the edge
   * until its ends or its bend change: vis-network's control point costs more to compute than
   * the tests that use it.
   */
  function curveShape(edge) {
    const a = edge.from;
    const b = edge.to;
    const smooth = edge.options.smooth || {};
    const kept = edge.splatkitShape;
    if (kept && kept.ax === a.x && kept.ay === a.y && kept.bx === b.x && kept.by === b.y &&
        kept.roundness === smooth.roundness && kept.enabled === smooth.enabled && kept.type === smooth.type &&
        smooth.type !== "dynamic") {
      return kept;
    }
    const shape = {
      ax: a.x, ay: a.y, bx: b.x, by: b.y, roundness: smooth.roundness, enabled: smooth.enabled, type: smooth.type,
      x0: Math.min(a.x, b.x), x1: Math.max(a.x, b.x), y0: Math.min(a.y, b.y), y1: Math.max(a.y, b.y),
      cx: 0, cy: 0, points: null, stray: 0,
    };
    if (a === b) { // a loop, drawn beside its box
      shape.x0 -= 100; shape.x1 += 100; shape.y0 -= 100; shape.y1 += 100;
    } else {
      const via = edge.edgeType.getViaNode();
      const c = via && via.x !== undefined ? via : { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      shape.x0 = Math.min(shape.x0, c.x); shape.x1 = Math.max(shape.x1, c.x);
      shape.y0 = Math.min(shape.y0, c.y); shape.y1 = Math.max(shape.y1, c.y);
      shape.cx = c.x;
      shape.cy = c.y;
      shape.points = [];
      for (let i = 0; i <= 16; i++) {
        const t = i / 16;
        const u = 1 - t;
        shape.points.push(u * u * a.x + 2 * t * u * c.x + t * t * b.x, u * u * a.y + 2 * t * u * c.y + t * t * b.y);
      }
      shape.stray = Math.hypot(a.x - 2 * c.x + b.x, a.y - 2 * c.y + b.y) / (4 * 16 * 16);
    }
    edge.splatkitShape = shape;
    return shape;
  }

  /** Whether arrow `edge` runs through the rectangle (left, top, right, bottom). */
  function crosses(edge, left, top, right, bottom) {
    const s = curveShape(edge);
    if (s.x1 < left || s.x0 > right || s.y1 < top || s.y0 > bottom) return false;
    if (!s.points) return true;
    const p = s.points;
    const m = s.stray;
    for (let i = 0; i < p.length - 2; i += 2) {
      if (Math.max(p[i], p[i + 2]) + m >= left && Math.min(p[i], p[i + 2]) - m <= right &&
          Math.max(p[i + 1], p[i + 3]) + m >= top && Math.min(p[i + 1], p[i + 3]) - m <= bottom) return true;
    }
    return false;
  }

  /** The distance from (x, y) to arrow `edge` as drawn (a loop: as vis-network measures it). */
  function distance(edge, x, y) {
    if (edge.from === edge.to) {
      return edge.edgeType.getDistanceToEdge(edge.from.x, edge.from.y, edge.to.x, edge.to.y, x, y);
    }
    const s = curveShape(edge);
    return curveDistance(s.ax, s.ay, s.bx, s.by, x, y, { x: s.cx, y: s.cy });
  }

  /**
   * A click (or hover) on arrows picks the arrow drawn under the pointer: of the arrows whose
   * line covers the pointer (within a screen pixel beyond the line's half-width) the one drawn
   * last, on top of the others; where no line covers it, the nearest within 10 pixels, as
   * vis-network does. vis-network alone picks the nearest line even where the reader sees
   * another one drawn over it.
   */
  function pickDrawnEdge(network) {
    const handler = network.selectionHandler;
    if (!handler || typeof handler.getEdgeAt !== "function") return;
    const body = network.body;
    handler.getEdgeAt = (pointer, returnEdge = true) => {
      const p = network.DOMtoCanvas(pointer);
      const pixel = 1 / network.getScale();
      let top = null;
      let nearest = null;
      let best = 10;
      for (const id of body.edgeIndices) {
        const edge = body.edges[id];
        if (edge.connected !== true) continue;
        const cover = (edge.options.width || 1) / 2 + pixel;
        const reach = Math.max(best, cover);
        const box = curveShape(edge); // far from it: neither under the pointer nor nearest
        if (p.x < box.x0 - reach || p.x > box.x1 + reach || p.y < box.y0 - reach || p.y > box.y1 + reach) continue;
        const d = distance(edge, p.x, p.y);
        if (d <= cover) top = id;
        if (d < best) {
          best = d;
          nearest = id;
        }
      }
      const id = top !== null ? top : nearest;
      if (id === null) return undefined;
      return returnEdge ? body.edges[id] : id;
    };
  }

  /**
   * Draw only the arrows that run through the view, and the arrowheads of those that end near
   * it. vis-network leaves out the boxes outside the view but draws every arrow and arrowhead
   * in every frame (finding by bisection where each curved arrow meets its box): with 6,000
   * arrows a frame at zoom 1 took 50-100 ms where a few hundred are seen, a blocked page after
   * every click, hover and pan.
   */
  function drawOnlyVisibleEdges(network) {
    const renderer = network.renderer;
    const canvas = network.canvas && network.canvas.frame && network.canvas.frame.canvas;
    if (!renderer || !canvas || typeof renderer._drawEdges !== "function" ||
        typeof renderer._drawArrows !== "function") return;
    const body = network.body;
    let drawn = null;
    let view = null;
    renderer._drawEdges = (ctx) => {
      // The view, and beyond it half a label's width (a label sits on the middle of its curve).
      const corner = network.DOMtoCanvas({ x: 0, y: 0 });
      const far = network.DOMtoCanvas({ x: canvas.clientWidth, y: canvas.clientHeight });
      view = { left: corner.x, top: corner.y, right: far.x, bottom: far.y };
      drawn = [];
      for (const id of body.edgeIndices) {
        const edge = body.edges[id];
        if (edge.connected === true && crosses(edge, view.left - 150, view.top - 20, view.right + 150, view.bottom + 20)) {
          drawn.push(edge);
          edge.draw(ctx);
        }
      }
    };
    // An arrowhead sits on the border of a box at an end: draw it when that box is near the view.
    const near = (node) => {
      const box = node.shape && node.shape.boundingBox;
      if (!box || box.right === undefined) return true;
      return box.right + 30 >= view.left && box.left - 30 <= view.right && box.bottom + 30 >= view.top &&
        box.top - 30 <= view.bottom;
    };
    renderer._drawArrows = (ctx) => {
      for (const edge of drawn || []) {
        if (near(edge.to) || near(edge.from)) edge.drawArrows(ctx);
      }
      drawn = null;
    };
  }

  /** Correct `network` (a vis.Network): called by the drawing code right after making it. */
  function fix(network) {
    pickDrawnEdge(network);
    drawOnlyVisibleEdges(network);
  }
  fix.distance = distance;
  vis.splatkitFix = fix;
})(typeof exports === "object" && exports && typeof exports.Network === "function" ? exports :
  typeof vis === "object" ? vis : null);

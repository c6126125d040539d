/*
 * splatkit lock graph: draw a view-model from splatkit.render.viewmodel.graph_view
 * with vis-network, and report which dependency (edge) the reader selected.
 *
 * This is the only drawing code splatkit has, shared by two hosts:
 *   - the HTML report (splatkit/render/html.py) inlines it as a classic <script> after
 *     vis-network and calls splatkitLockGraph.mountReport(vis, data);
 *   - the notebook widget (splatkit/widgets/_graph.py) uses this text followed by
 *     `export default splatkitLockGraph.widget;` as its anywidget ESM.
 * So the file must stay valid both as a classic script and as a module body: no
 * import/export here, one top-level `const`.
 *
 * Names in the view-model are untrusted (they come from a kernel log). Text goes
 * into the page through textContent only, never innerHTML; vis-network draws labels
 * on the canvas and shows string tooltips with innerText. The widget's static picture
 * is an SVG escaped in Python (splatkit/render/svg.py), parsed as XML and imported.
 */
const splatkitLockGraph = (() => {
  "use strict";

  /**
   * Draw `view` ({nodes, edges}) into `container` and keep one selection:
   * `edge` (a dependency id, what the tables follow) and `node` (a lock class).
   * A click on an edge selects it, a click on a node selects the node and keeps
   * the edge; a click on the background changes nothing, so the tables never go
   * blank. `onSelect(selection)` is called after every change made by a click.
   */
  function draw(vis, container, view, options, onSelect) {
    const nodes = new vis.DataSet(view.nodes);
    const edges = new vis.DataSet(view.edges);
    const network = new vis.Network(container, { nodes, edges }, options);
    const selection = { edge: "", node: "" };
    if (view.extent && Number.isFinite(view.extent.pad)) fitExtent(network, container, view.extent);
    if (typeof vis.splatkitFix === "function") vis.splatkitFix(network); // vis_fixes.js

    /** Show `selection` in the network; ids the data does not contain are dropped. */
    function show() {
      network.setSelection(
        {
          nodes: selection.node && nodes.get(selection.node) ? [selection.node] : [],
          edges: selection.edge && edges.get(selection.edge) ? [selection.edge] : [],
        },
        { unselectAll: true, highlightEdges: false },
      );
    }

    network.on("click", (params) => {
      if (params.nodes.length) {
        selection.node = String(params.nodes[0]);
      } else if (params.edges.length) {
        selection.edge = String(params.edges[0]);
        selection.node = "";
      }
      show(); // vis cleared what the click did not hit; restore the kept part
      if (params.nodes.length || params.edges.length) onSelect({ ...selection });
    });

    container.splatkitNetwork = network; // handle for browser tests and the console

    return {
      network,
      /** Select `edge` and `node` (empty string: none) without calling onSelect. */
      select(edge, node) {
        selection.edge = edge || "";
        selection.node = node || "";
        show();
      },
      /** Replace the drawn nodes and edges, keeping the selection where it still exists. */
      setData(next) {
        nodes.clear();
        edges.clear();
        nodes.add(next.nodes);
        edges.add(next.edges);
        show();
      },
    };
  }

  /**
   * Show `extent` (splatkit.render.viewmodel.drawing_extent: the boxes and the labels on arrows,
   * and the margin `pad` in pixels) whole and centred, at zoom 1 at most: the zoom the page was
   * sized for (vis-network's own fit leaves 5% of the drawing each side, and labels on the edge
   * out). A canvas not laid out yet (a cell rendered out of view) is fitted when it first is.
   */
  function fitExtent(network, container, extent) {
    const fit = () => {
      const width = container.clientWidth - 2 * extent.pad;
      const height = container.clientHeight - 2 * extent.pad;
      if (width <= 0 || height <= 0) return false;
      const scale = Math.min(1, width / Math.max(1, extent.x1 - extent.x0), height / Math.max(1, extent.y1 - extent.y0));
      const position = { x: (extent.x0 + extent.x1) / 2, y: (extent.y0 + extent.y1) / 2 };
      network.moveTo({ position, scale, animation: false });
      return true;
    };
    if (fit()) return;
    const onResize = () => {
      if (fit()) network.off("resize", onResize);
    };
    network.on("resize", onResize);
  }

  // ---- host 1: the self-contained HTML report ---------------------------------

  /**
   * Wire the report page: draw the graph into #sk-graph; an edge click, or a click
   * on a chain-table row, shows that dependency's stack. The page was rendered
   * server-side with one frames section per dependency ([data-sk-frames]); this
   * only toggles `hidden`, so no text is ever built here.
   */
  function mountReport(vis, data) {
    const graphDiv = document.getElementById("sk-graph");
    if (!graphDiv) return null; // a report without locks: the page says so, nothing to draw
    const sections = document.querySelectorAll("[data-sk-frames]");
    const rows = document.querySelectorAll("tr[data-sk-edge]");
    const graph = draw(vis, graphDiv, data.view, data.options, (sel) => showEdge(sel.edge, sel.node));

    function showEdge(edge, node) {
      if (![...sections].some((s) => s.dataset.skFrames === edge)) return;
      for (const section of sections) section.hidden = section.dataset.skFrames !== edge;
      for (const row of rows) row.classList.toggle("sk-selected", row.dataset.skEdge === edge);
      graph.select(edge, node);
      document.body.dataset.skSelectedEdge = edge;
    }

    for (const row of rows) {
      if (row.dataset.skEdge) row.addEventListener("click", () => showEdge(row.dataset.skEdge, ""));
    }
    showEdge(data.selected, "");
    return graph;
  }

  // ---- host 2: the anywidget view (splatkit.widgets.LockGraphWidget) ----------

  /** How long a view waits for the kernel to send vis-network before it keeps its static picture. */
  const VIS_TIMEOUT_MS = 15000;
  /** A view asks the kernel itself when no other view's request was answered within this time. */
  const VIS_ASK_AGAIN_MS = 1500;

  /**
   * vis-network, loaded once per page. The bundle is not part of the widget's state (a saved
   * notebook would carry a copy per graph): a view asks its kernel for it with a custom
   * message, and the first answer is evaluated and cached on globalThis for every view of the
   * page. Shadowing exports/module/define makes the UMD bundle take its CommonJS branch and
   * leave `window.vis` (and any AMD loader on the page) alone. Rejects when no kernel answers
   * (a notebook reopened without one): the view then keeps its static picture.
   */
  function loadVis(model) {
    const g = globalThis;
    if (g.__splatkitVis) return Promise.resolve(g.__splatkitVis);
    return new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (!msg || msg.type !== "splatkit-vis") return;
        if (!g.__splatkitVis) {
          const module = { exports: {} };
          new Function("exports", "module", "define", msg.js)(module.exports, module, undefined);
          const style = document.createElement("style");
          style.dataset.splatkitVis = "";
          style.textContent = msg.css;
          document.head.appendChild(style);
          g.__splatkitVis = module.exports;
        }
        const waiting = g.__splatkitVisWaiters || [];
        g.__splatkitVisWaiters = [];
        for (const w of waiting) w.resolve(g.__splatkitVis);
      };
      const done = () => model.off("msg:custom", onMessage);
      const waiter = {
        resolve: (vis) => (done(), resolve(vis)),
        reject: (err) => (done(), reject(err)),
      };
      (g.__splatkitVisWaiters ||= []).push(waiter);
      model.on("msg:custom", onMessage);
      const ask = () => {
        if (g.__splatkitVis) return;
        g.__splatkitVisAsked = Date.now();
        model.send({ type: "splatkit-need-vis" });
      };
      const since = Date.now() - (g.__splatkitVisAsked || 0);
      if (since > VIS_ASK_AGAIN_MS) ask();
      else setTimeout(ask, VIS_ASK_AGAIN_MS - since);
      setTimeout(() => {
        if (g.__splatkitVis) return;
        g.__splatkitVisWaiters = (g.__splatkitVisWaiters || []).filter((w) => w !== waiter);
        waiter.reject(new Error("no kernel sent vis-network"));
      }, VIS_TIMEOUT_MS);
    });
  }

  /**
   * The static picture (an SVG made and escaped by splatkit.render.svg) as a node, parsed as
   * XML: a malformed picture is refused, not repaired, and nothing in it runs.
   */
  function staticPicture(svgText) {
    const wrap = document.createElement("div");
    wrap.className = "sk-static-picture";
    if (!svgText) return wrap;
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = doc.documentElement;
    if (svg.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) return wrap;
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "100%");
    wrap.appendChild(document.importNode(svg, true));
    return wrap;
  }

  /**
   * The canvas colours of the page's theme: JupyterLab's CSS variables as seen from `el`
   * (light and dark themes, Notebook 7, Voila), light defaults elsewhere. A canvas cannot use
   * CSS variables, so the labels on arrows get the resolved text colour and a halo of the
   * background colour; lock class boxes keep their light fills and dark text in every theme.
   */
  function themeOptions(el) {
    const css = getComputedStyle(el);
    const pick = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
    return {
      edges: { font: { color: pick("--jp-ui-font-color1", "#1f2328"), strokeColor: pick("--jp-layout-color0", "#ffffff") } },
      nodes: { font: { color: "#1f2328" } },
    };
  }

  /** `options` with the theme's colours (themeOptions) merged in. */
  function themed(options, el) {
    const theme = themeOptions(el);
    const edges = options.edges || {};
    const nodes = options.nodes || {};
    return {
      ...options,
      edges: { ...edges, font: { ...(edges.font || {}), ...theme.edges.font } },
      nodes: { ...nodes, font: { ...(nodes.font || {}), ...theme.nodes.font } },
    };
  }

  /** Offer `blob` to the user as a file named `name` (a download from a Blob URL). */
  function download(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  /**
   * The drawing as a PNG data URL: the live canvas on the page's background colour, or, before
   * vis-network is there (or without a kernel), the static picture rasterised.
   */
  function pngDataURL(div, svgText) {
    const background = getComputedStyle(div).getPropertyValue("--jp-layout-color0").trim() || "#ffffff";
    const onto = (source, width, height) => {
      const out = document.createElement("canvas");
      out.width = Math.max(1, Math.round(width));
      out.height = Math.max(1, Math.round(height));
      const ctx = out.getContext("2d");
      ctx.fillStyle = background;
      ctx.fillRect(0, 0, out.width, out.height);
      ctx.drawImage(source, 0, 0, out.width, out.height);
      return out.toDataURL("image/png");
    };
    const canvas = div.querySelector("canvas");
    if (canvas) return Promise.resolve(onto(canvas, canvas.width, canvas.height));
    if (!svgText) return Promise.reject(new Error("the graph is empty: nothing to draw"));
    return new Promise((resolve, reject) => {
      const img = new Image();
      const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
      img.onload = () => {
        URL.revokeObjectURL(url);
        const scale = 2;
        resolve(onto(img, img.naturalWidth * scale, img.naturalHeight * scale));
      };
      img.onerror = () => (URL.revokeObjectURL(url), reject(new Error("the static picture did not load")));
      img.src = url;
    });
  }

  /**
   * The export buttons above a widget's drawing: SVG (the static picture, as the kernel made
   * it), PNG (pngDataURL) and DOT (asked of the kernel, which writes it from the lock graph).
   * A problem is shown as text beside them.
   */
  function exportBar(model, div) {
    const bar = document.createElement("div");
    bar.className = "splatkit-export";
    const status = document.createElement("span");
    status.className = "sk-export-status";
    const button = (label, title, onClick) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `sk-export-${label.toLowerCase()}`;
      b.textContent = label;
      b.title = title;
      b.addEventListener("click", () => {
        status.textContent = "";
        onClick();
      });
      bar.appendChild(b);
    };
    const fail = (err) => {
      status.textContent = String(err && err.message ? err.message : err);
    };
    button("SVG", "download the graph as SVG", () => {
      const svg = model.get("static_svg");
      if (!svg) return fail("the graph is empty: nothing to draw");
      download(new Blob([svg], { type: "image/svg+xml" }), "lock-graph.svg");
    });
    button("PNG", "download the graph as PNG", () => {
      pngDataURL(div, model.get("static_svg")).then(
        (url) => fetch(url).then((r) => r.blob()).then((blob) => download(blob, "lock-graph.png")),
        fail,
      );
    });
    button("DOT", "download the lock graph as DOT (Graphviz), written by the kernel", () => {
      model.send({ type: "splatkit-need-dot" });
    });
    bar.appendChild(status);
    const onMessage = (msg) => {
      if (!msg) return;
      if (msg.type === "splatkit-dot") {
        if (msg.error) fail(msg.error);
        else download(new Blob([msg.dot], { type: "text/vnd.graphviz" }), "lock-graph.dot");
      } else if (msg.type === "splatkit-png-request") {
        pngDataURL(div, model.get("static_svg")).then(
          (url) => model.send({ type: "splatkit-png", id: msg.id, data: url }),
          (err) => model.send({ type: "splatkit-png", id: msg.id, error: String(err.message || err) }),
        );
      }
    };
    model.on("msg:custom", onMessage);
    return { bar, dispose: () => model.off("msg:custom", onMessage) };
  }

  /**
   * anywidget render(): the static picture at once, then the live drawing once vis-network
   * is there (it replaces the picture); the selection is synced both ways.
   */
  function render({ model, el }) {
    const div = document.createElement("div");
    div.className = "splatkit-graph";
    div.style.height = model.get("height");
    div.dataset.skState = "static";
    div.appendChild(staticPicture(model.get("static_svg")));
    const exporter = exportBar(model, div);
    el.appendChild(exporter.bar);
    el.appendChild(div);
    model.send({ type: "splatkit-view" });

    let graph = null;
    let disposed = false;
    const onData = () => {
      if (graph) graph.setData({ nodes: model.get("nodes"), edges: model.get("edges") });
      else div.replaceChildren(staticPicture(model.get("static_svg")));
    };
    const onSelection = () => graph && graph.select(model.get("selected_edge"), model.get("selected_node"));
    const onOptions = () => graph && graph.network.setOptions(themed(model.get("options"), div));
    const onExtent = () => {
      const extent = model.get("extent");
      if (graph && extent && Number.isFinite(extent.pad)) fitExtent(graph.network, div, extent);
    };
    // JupyterLab switches themes by changing attributes of <body>: follow it.
    const themeWatch = new MutationObserver(onOptions);
    themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"] });
    const onHeight = () => {
      div.style.height = model.get("height");
    };
    const handlers = [
      ["change:nodes change:edges change:static_svg", onData],
      ["change:selected_edge change:selected_node", onSelection],
      ["change:options", onOptions],
      ["change:extent", onExtent],
      ["change:height", onHeight],
    ];
    for (const [events, handler] of handlers) model.on(events, handler);

    loadVis(model).then(
      (vis) => {
        if (disposed) return;
        div.replaceChildren();
        graph = draw(
          vis,
          div,
          { nodes: model.get("nodes"), edges: model.get("edges"), extent: model.get("extent") },
          themed(model.get("options"), div),
          (sel) => {
            model.set("selected_edge", sel.edge);
            model.set("selected_node", sel.node);
            model.save_changes();
          },
        );
        div.dataset.skState = "live";
        // A viewport (ViewportGraphWidget, drawings side by side): its centre {x, y} at its zoom.
        const v = model.get("viewport");
        if (v) graph.network.moveTo({ position: v, scale: v.scale });
        onSelection();
      },
      () => {
        div.dataset.skState = "static-no-kernel";
      },
    );

    return () => {
      disposed = true;
      exporter.dispose();
      themeWatch.disconnect();
      for (const [events, handler] of handlers) model.off(events, handler);
      if (graph) graph.network.destroy();
    };
  }

  return { draw, mountReport, themed, widget: { render } };
})();

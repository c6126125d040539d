/*
 * splatkit graph page: a whole lock graph (many reports, a /proc/lockdep dump) in one
 * self-contained page, drawn by splatkitLockGraph.draw (lock_graph.js), with a search box,
 * a list of cycles and the evidence of the clicked dependency. Inlined by
 * splatkit/render/graph_page.py after vis-network and lock_graph.js.
 *
 * The page is data, not markup: the evidence table, the datalist of lock classes and the
 * cycle list are built here from the view-model, and every name goes in through
 * textContent or an element's value, never innerHTML (names come from kernel logs).
 */
const splatkitGraphPage = (() => {
  "use strict";

  /** Widths of a cycle's arrows and of the picked cycle's (splatkit.render.navigate.PICKED_WIDTH). */
  const CYCLE_WIDTH = 3;
  const PICKED_WIDTH = 6;
  /** The smallest zoom at which lock class labels stay readable (as the widget keeps it). */
  const READABLE_ZOOM = 0.6;

  /** An element `tag` with `text` as its text. */
  function el(tag, text) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function mount(lockGraph, vis, data) {
    const div = document.getElementById("sk-graph");
    if (!div) return null; // nothing to draw: the page says so
    const view = data.view;
    const edgesById = new Map(view.edges.map((e) => [e.id, e]));
    const nodeIds = new Set(view.nodes.map((n) => n.id));
    const body = document.getElementById("sk-evidence");
    const caption = document.getElementById("sk-evidence-caption");
    const status = document.getElementById("sk-search-status");
    const state = { edge: "", node: "", cycle: -1 };
    const graph = lockGraph.draw(vis, div, view, data.options, (sel) => showEdge(sel.edge, sel.node));
    /** Fit the view to `ids` at a zoom where labels stay readable (as the widget does). When
     *  they lie too far apart for that (a cycle across a big graph's layout), centre `focus`
     *  (default: the first of them) at that zoom instead: a fit centred between them, clamped
     *  to the readable zoom, would show none of them. */
    function frame(ids, focus) {
      const shown = ids.filter((id) => nodeIds.has(id));
      if (!shown.length) return;
      const net = graph.network;
      const boxes = shown.map((id) => net.getBoundingBox(id));
      const width = Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left));
      const height = Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top));
      if (Math.min(div.clientWidth / width, div.clientHeight / height) >= READABLE_ZOOM) {
        net.fit({ nodes: shown, minZoomLevel: READABLE_ZOOM });
      } else {
        net.moveTo({ position: net.getPosition(nodeIds.has(focus) ? focus : shown[0]), scale: READABLE_ZOOM });
      }
    }
    const edgeData = graph.network.body.data.edges;
    // Widths before a cycle is picked (the view comes with cycle 0 picked, see emphasise()).
    const baseWidth = new Map(view.edges.map((e) => [e.id, e.picked ? CYCLE_WIDTH : e.width]));

    /** Show dependency `id`'s evidence in the table and select it (and lock `node`). */
    function showEdge(id, node) {
      const edge = edgesById.get(id);
      if (!edge) return;
      state.edge = id;
      state.node = node || "";
      caption.textContent = `${edge.from} \u2192 ${edge.to}: ${edge.title}`;
      body.replaceChildren(
        ...edge.evidence.map((ev) => {
          const tr = el("tr");
          for (const v of [ev.source, ev.splat, ev.chain_index, ev.function]) tr.appendChild(el("td", v));
          return tr;
        }),
      );
      graph.select(state.edge, state.node);
      document.body.dataset.skSelectedEdge = id;
    }

    /** Select lock class `name` and frame it. */
    function find(name) {
      if (!nodeIds.has(name)) return false;
      state.node = name;
      graph.select(state.edge, name);
      frame([name]);
      document.body.dataset.skSelectedNode = name;
      return true;
    }

    /** Pick cycle `index`: draw it wider than the others, frame it, show its first dependency. */
    function pick(index) {
      const locks = view.cycles[index];
      const before = state.cycle >= 0 ? cycleEdges(view.cycles[state.cycle]) : [];
      const now = locks ? cycleEdges(locks) : [];
      state.cycle = locks ? index : -1;
      edgeData.update([
        ...before.map((e) => ({ id: e.id, width: baseWidth.get(e.id) })),
        ...now.map((e) => ({ id: e.id, width: PICKED_WIDTH })),
      ]);
      if (!locks) return;
      frame(locks);
      if (now.length) showEdge(now[0].id, "");
      document.body.dataset.skCycle = String(index);
    }

    function cycleEdges(locks) {
      return locks.map((a, i) => edgesById.get(`${a} -> ${locks[(i + 1) % locks.length]}`)).filter(Boolean);
    }

    const list = document.getElementById("sk-locks");
    for (const n of view.nodes) {
      const option = document.createElement("option");
      option.value = n.id;
      list.appendChild(option);
    }
    const search = document.getElementById("sk-search");
    search.addEventListener("input", () => {
      const text = search.value.trim().toLowerCase();
      if (!text) return (status.textContent = "");
      if (find(search.value)) return (status.textContent = "");
      const hits = view.nodes.filter((n) => n.id.toLowerCase().includes(text));
      if (hits.length === 1) {
        find(hits[0].id);
        status.textContent = "";
      } else status.textContent = hits.length ? `${hits.length} lock classes match` : "no lock class matches";
    });

    const cycles = document.getElementById("sk-cycles");
    view.cycles.forEach((locks, i) => {
      const option = el("option", `${i}. ${[...locks, locks[0]].join(" \u2192 ")}`);
      option.value = String(i);
      cycles.appendChild(option);
    });
    cycles.addEventListener("change", () => pick(Number(cycles.value)));

    if (view.frame) frame(view.frame, (edgesById.get(data.selected) || {}).from);
    showEdge(data.selected, "");
    if (view.cycles.length) {
      state.cycle = 0; // graph_view drew cycle 0 picked already (emphasise)
      cycles.value = "0";
    }
    const page = { graph, showEdge, find, pick, state };
    window.splatkitPage = page;
    return page;
  }

  return { mount };
})();

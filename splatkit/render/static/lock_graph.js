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
 * on the canvas and shows string tooltips with innerText.
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

  /**
   * Evaluate the vis-network UMD bundle once per page. anywidget imports the ESM
   * once per widget, so the result is cached on globalThis; shadowing
   * exports/module/define makes the bundle take its CommonJS branch and leave
   * `window.vis` (and any AMD loader on the page) alone.
   */
  function loadVis(source) {
    if (!globalThis.__splatkitVis) {
      const module = { exports: {} };
      new Function("exports", "module", "define", source)(module.exports, module, undefined);
      globalThis.__splatkitVis = module.exports;
    }
    return globalThis.__splatkitVis;
  }

  /** anywidget render(): draw the model's traits, and sync the selection both ways. */
  function render({ model, el }) {
    const vis = loadVis(model.get("_vis_js"));
    const div = document.createElement("div");
    div.className = "splatkit-graph";
    div.style.height = model.get("height");
    el.appendChild(div);

    const graph = draw(
      vis,
      div,
      { nodes: model.get("nodes"), edges: model.get("edges") },
      model.get("options"),
      (sel) => {
        model.set("selected_edge", sel.edge);
        model.set("selected_node", sel.node);
        model.save_changes();
      },
    );
    const onData = () => graph.setData({ nodes: model.get("nodes"), edges: model.get("edges") });
    const onSelection = () => graph.select(model.get("selected_edge"), model.get("selected_node"));
    const onOptions = () => graph.network.setOptions(model.get("options"));
    const onHeight = () => {
      div.style.height = model.get("height");
    };
    const handlers = [
      ["change:nodes change:edges", onData],
      ["change:selected_edge change:selected_node", onSelection],
      ["change:options", onOptions],
      ["change:height", onHeight],
    ];
    for (const [events, handler] of handlers) model.on(events, handler);
    onSelection();

    return () => {
      for (const [events, handler] of handlers) model.off(events, handler);
      graph.network.destroy();
    };
  }

  return { draw, mountReport, widget: { render } };
})();

/*
 * Framing for the explorer's drawing of a big graph (splatkit.widgets._navigate): fit the view
 * to the lock classes the model's `frame` names, at a zoom where labels stay readable (0.6 to
 * 1, vis-network's default maximum), when Python sets it and when the live drawing appears.
 *
 * Appended to lock_graph.js in the ESM of FramedLockGraphWidget only: the widget of a small
 * graph does without it, and so does the notebook that saves it (every byte of the ESM is
 * saved with every graph). It reaches the network the drawing leaves on its element
 * (`splatkitNetwork`), and waits for the drawing through its `data-sk-state` attribute.
 */
const splatkitFraming = ({ model, el }) => {
  const fit = () => {
    const div = el.querySelector(".splatkit-graph[data-sk-state=live]");
    const ids = model.get("frame");
    if (div && div.splatkitNetwork && ids.length) div.splatkitNetwork.fit({ nodes: ids, minZoomLevel: 0.6 });
  };
  const live = new MutationObserver(fit);
  live.observe(el, { subtree: true, attributes: true, attributeFilter: ["data-sk-state"] });
  model.on("change:frame", fit);
  return () => {
    live.disconnect();
    model.off("change:frame", fit);
  };
};

/*
 * The lockdep workshop's feedback and scoreboard views (splatkit.widgets.Workshop).
 *
 * Python sends plain data (a status word, sentences, the kernel's text, a list of scores);
 * every string goes into the page with textContent, never as HTML, because lock, task and
 * function names come from a program the learner may have typed.
 */

const splatkitWorkshop = (() => {
  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Feedback: a headline, paragraphs, then collapsible sections (the kernel's text, the
   * full explanation), each {title, text, open, pre}. */
  function feedback({ model, el }) {
    el.classList.add("splatkit-feedback");
    const draw = () => {
      const status = model.get("status");
      el.dataset.status = status;
      el.replaceChildren();
      if (!status) return;
      el.append(make("div", "sk-fb-headline", model.get("headline")));
      for (const text of model.get("paragraphs")) el.append(make("p", "sk-fb-text", text));
      for (const section of model.get("sections")) {
        const details = make("details", "sk-fb-section");
        details.open = Boolean(section.open);
        details.append(make("summary", "", section.title));
        details.append(make(section.pre ? "pre" : "div", section.pre ? "sk-fb-pre" : "sk-fb-text", section.text));
        el.append(details);
      }
    };
    model.on("change:status change:headline change:paragraphs change:sections", draw);
    draw();
    return () => model.off(null, draw);
  }

  /* Scoreboard: "Score: n/m correct", how many are answered, and one mark per exercise. */
  function scoreboard({ model, el }) {
    el.classList.add("splatkit-scoreboard");
    const draw = () => {
      const items = model.get("items");
      const correct = items.filter((item) => item.status === "correct").length;
      const answered = items.filter((item) => item.status).length;
      el.replaceChildren();
      const line = make("div", "sk-sb-line");
      line.append(make("span", "sk-sb-score", `Score: ${correct}/${items.length} correct`));
      line.append(make("span", "sk-sb-answered", `${answered} of ${items.length} answered (first answers count)`));
      el.append(line);
      const list = make("ol", "sk-sb-items");
      const marks = { correct: "\u2713 ", incorrect: "\u2717 " };
      for (const item of items) {
        const entry = make("li", "sk-sb-item", (marks[item.status] || "") + item.title);
        entry.dataset.status = item.status || "open";
        entry.title = item.status ? `${item.title}: ${item.status}` : `${item.title}: not answered yet`;
        list.append(entry);
      }
      el.append(list);
    };
    model.on("change:items", draw);
    draw();
    return () => model.off(null, draw);
  }

  return { feedback: { render: feedback }, scoreboard: { render: scoreboard } };
})();

// The what-if page: start a run, poll its progress by id, show its results, cancel it.
// Plain JavaScript, no library: the page works offline.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("what-if");

  function show(id, text) { const el = $(id); if (el) { el.textContent = text || ""; } }
  function showError(id, text) {  // an error beside its field, scrolled into view
    show(id, text);
    const el = $(id);
    if (el && text) { (el.closest(".pick") || el).scrollIntoView({ block: "nearest" }); }
  }

  // ---- picking and uploading a scenario
  const pick = $("scenario-pick");
  if (pick) {
    pick.addEventListener("change", () => { window.location.search = "?scenario=" + encodeURIComponent(pick.value); });
  }
  const upload = $("upload-file");
  if (upload) {
    upload.addEventListener("change", async () => {
      show("upload-error", "");
      if (!upload.files.length) { return; }
      const data = new FormData();
      data.append("file", upload.files[0]);
      const answer = await fetch("/scenarios", { method: "POST", body: data });
      const body = await answer.json();
      if (!answer.ok) { showError("upload-error", body.error); upload.value = ""; return; }
      window.location.search = "?scenario=" + encodeURIComponent(body.id);
    });
  }
  if (!form) { return; }

  // ---- changed fields are marked, so the manager sees what differs from the scenario
  form.querySelectorAll("input[data-default]").forEach((input) => {
    input.addEventListener("input", () => {
      input.closest(".field").classList.toggle("changed", input.value !== input.dataset.default);
    });
  });

  // ---- one background run: start, poll, show, cancel
  function runner(opts) {
    let current = null;  // this tab's run id: results are fetched by it, never mixed with another tab's
    async function start() {
      show(opts.error, "");
      const answer = await fetch(opts.url, { method: "POST", body: new FormData(form) });
      const body = await answer.json();
      if (!answer.ok) { showError(opts.error, body.error); return; }
      current = body.id;
      $(opts.button).disabled = true;
      $(opts.cancel).disabled = false;
      $(opts.progress).hidden = false;
      poll(body.id);
    }
    async function poll(id) {
      if (id !== current) { return; }
      const answer = await fetch("/runs/" + id);
      if (!answer.ok) { finish("the server forgot this run; run it again"); return; }
      const s = await answer.json();
      const bar = $(opts.bar);
      if (s.total > 0) { bar.max = s.total; bar.value = s.done; } else { bar.removeAttribute("value"); }
      const count = s.total > 0 ? s.done + " of " + s.total + " replications" : "";
      show(opts.text, [s.status, count, s.note, s.seconds + " s"].filter(Boolean).join(" · "));
      if (s.status === "queued" || s.status === "running") { setTimeout(() => poll(id), 300); return; }
      if (s.status === "done") {
        show(opts.text, "drawing the results…");
        const page = await fetch("/runs/" + id + "/results");
        if (id !== current) { return; }
        const target = $(opts.results);
        target.innerHTML = await page.text();
        target.dataset.run = id;
        bar.max = 1;
        bar.value = 1;
        finish("");
        show(opts.text, "done in " + s.seconds + " s");
      } else if (s.status === "failed") {
        finish(s.error);
      } else {
        finish("");
        show(opts.text, "cancelled");
      }
    }
    function finish(error) {
      $(opts.button).disabled = false;
      $(opts.cancel).disabled = true;
      if (error) { showError(opts.error, error); }
    }
    $(opts.button).addEventListener("click", start);
    $(opts.cancel).addEventListener("click", async () => {
      if (current) { await fetch("/runs/" + current + "/cancel", { method: "POST" }); }
    });
  }

  runner({ url: "/runs", button: "run", cancel: "cancel", progress: "progress", bar: "progress-bar",
           text: "progress-text", error: "form-error", results: "results" });
  runner({ url: "/staff", button: "staff", cancel: "staff-cancel", progress: "staff-progress", bar: "staff-bar",
           text: "staff-text", error: "staff-error", results: "staffing" });
})();

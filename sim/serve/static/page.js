// The what-if page: start a run, poll its progress by id, show its results, cancel it.
// Plain JavaScript, no library: the page works offline. Every POST carries the page's session token.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("what-if");
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.content : "";
  const guarded = { "X-CSRF-Token": token };

  function show(id, text) { const el = $(id); if (el) { el.textContent = text || ""; } }
  function showError(id, text) {  // an error beside its field, scrolled into view
    show(id, text);
    const el = $(id);
    if (el && text) { (el.closest(".pick") || el).scrollIntoView({ block: "nearest" }); }
  }
  async function answerOf(response) {  // JSON, or the plain text of a refusal made before the routes
    const text = await response.text();
    try { return JSON.parse(text); } catch (e) { return { error: text || response.statusText }; }
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
      data.append("csrf_token", token);
      const answer = await fetch("/scenarios", { method: "POST", body: data, headers: guarded });
      const body = await answerOf(answer);
      if (!answer.ok) { showError("upload-error", body.error); upload.value = ""; return; }
      window.location.search = "?scenario=" + encodeURIComponent(body.id);
    });
  }
  const startState = $("state-start");
  if (startState) {
    startState.addEventListener("click", async () => {
      show("state-error", "");
      const data = new FormData();
      data.append("scenario", pick ? pick.value : "");
      data.append("as_of", $("state-as_of").value);
      data.append("columns", $("state-columns").value);
      ["open_charts", "leave"].forEach((name) => {
        const input = $("state-" + name);
        if (input.files.length) { data.append(name, input.files[0]); }
      });
      data.append("csrf_token", token);
      const answer = await fetch("/state", { method: "POST", body: data, headers: guarded });
      const body = await answerOf(answer);
      if (!answer.ok) { showError("state-error", body.error); return; }
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

  // ---- the staffing threshold is in the chosen metric's unit (a share in %)
  const metric = $("f-target_metric");
  function targetUnit() {
    const option = metric.options[metric.selectedIndex];
    show("target-unit", option ? option.dataset.unit : "");
  }
  if (metric) { metric.addEventListener("change", targetUnit); targetUnit(); }

  // ---- one background run: start, poll, show, cancel
  function runner(opts) {
    let current = null;  // this tab's run id: results are fetched by it, never mixed with another tab's
    const target = $(opts.results);
    function status(text, kind) {  // the results side says what is going on: running, cancelled, failed
      const el = $(opts.status);
      el.textContent = text || "";
      el.className = "status" + (kind ? " " + kind : "");
      el.hidden = !text;
    }
    function markOld(old) {
      const shown = target.querySelector("article");
      if (shown) { shown.classList.toggle("old", old); }
      return !!shown;
    }
    async function start() {
      show(opts.error, "");
      // urlencoded, not multipart: a field name with a quote (a team called "B") arrives as written
      const answer = await fetch(opts.url, { method: "POST", body: new URLSearchParams(new FormData(form)),
                                             headers: guarded });
      const body = await answerOf(answer);
      if (!answer.ok) { showError(opts.error, body.error); return; }
      current = body.id;
      $(opts.button).disabled = true;
      $(opts.cancel).disabled = false;
      $(opts.progress).hidden = false;
      const placeholder = target.querySelector(".placeholder");
      if (placeholder) { placeholder.remove(); }
      const old = markOld(true);
      status("Running… " + (old ? "The results below are from the previous run." : ""), "running");
      poll(body.id);
    }
    async function poll(id) {
      if (id !== current) { return; }
      const answer = await fetch("/runs/" + id);
      if (!answer.ok) { finish("the server forgot this run; run it again"); status(""); return; }
      const s = await answer.json();
      const bar = $(opts.bar);
      if (s.total > 0) { bar.max = s.total; bar.value = s.done; } else { bar.removeAttribute("value"); }
      const count = s.total > 0 ? s.done + " of " + s.total + " replications" : "";
      show(opts.text, [s.status, count, s.note, s.seconds + " s"].filter(Boolean).join(" · "));
      if (s.status === "queued" || s.status === "running") {
        const old = !!target.querySelector("article.old");
        status((s.status === "queued" ? "Waiting for a free worker: " : "Running: ") + s.title +
               (count ? " — " + count : "") + (s.note && !count ? " — " + s.note : "") + "…" +
               (old ? " The results below are from the previous run." : ""), "running");
        setTimeout(() => poll(id), 300);
        return;
      }
      if (s.status === "done") {
        show(opts.text, "drawing the results…");
        const page = await fetch("/runs/" + id + "/results");
        if (id !== current) { return; }
        if (!page.ok) {  // never the server's error text in place of an answer
          const failed = await answerOf(page);
          const why = (failed.error || failed.detail || page.statusText || "").split("\n")[0];
          bar.max = 1;
          bar.value = 0;
          finish("The results could not be shown (" + page.status + (why ? ": " + why : "") + ").");
          show(opts.text, "failed");
          status("The results could not be shown; run it again." +
                 (markOld(true) ? " The results below are from the previous run." : ""), "failed");
          return;
        }
        target.innerHTML = await page.text();
        target.dataset.run = id;
        status("");
        bar.max = 1;
        bar.value = 1;
        finish("");
        show(opts.text, "done in " + s.seconds + " s");
        target.scrollIntoView({ block: "start" });  // the answer's first line, in its column
      } else if (s.status === "failed") {
        finish(s.error);
        status("The run failed: " + s.error + (markOld(true) ? " The results below are from the previous run." : ""),
               "failed");
      } else {
        finish("");
        show(opts.text, "cancelled");
        status(markOld(true) ? "Cancelled. The results below are from the previous run, not from the settings now " +
                               "on the left." : "Cancelled: no results. Press Run to start again.", "cancelled");
      }
    }
    function finish(error) {
      $(opts.button).disabled = false;
      $(opts.cancel).disabled = true;
      if (error) { showError(opts.error, error); }
    }
    $(opts.button).addEventListener("click", start);
    $(opts.cancel).addEventListener("click", async () => {
      if (!current) { return; }
      const answer = await fetch("/runs/" + current + "/cancel", { method: "POST", headers: guarded });
      if (!answer.ok) { showError(opts.error, "Cancel was refused: " + ((await answerOf(answer)).error || answer.statusText)); }
    });
  }

  runner({ url: "/runs", button: "run", cancel: "cancel", progress: "progress", bar: "progress-bar",
           text: "progress-text", error: "form-error", results: "results", status: "results-status" });
  runner({ url: "/staff", button: "staff", cancel: "staff-cancel", progress: "staff-progress", bar: "staff-bar",
           text: "staff-text", error: "staff-error", results: "staffing", status: "staffing-status" });
  runner({ url: "/plan", button: "plan", cancel: "plan-cancel", progress: "plan-progress", bar: "plan-bar",
           text: "plan-text", error: "plan-error", results: "plan-results", status: "plan-status" });
})();

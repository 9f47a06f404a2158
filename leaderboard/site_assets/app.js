// avbench leaderboard: renders window.AVBENCH_LEADERBOARD (data.js) as tabs of sortable tables,
// plots, and a per-sample browser whose data (samples/<entry>.js) is loaded on demand. Plain
// DOM, no network beyond files beside this page, so it works from file:// and any static host.
(function () {
  "use strict";
  var D = window.AVBENCH_LEADERBOARD;
  var $ = function (id) { return document.getElementById(id); };
  var state = { tab: 0, sortKey: null, sortDir: 1 };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  // Sort keys: model name, trust level order, n, a metric's value, or the mean win rate.
  function sortValue(row, key) {
    if (key === "model") return row.model.name.toLowerCase();
    if (key === "trust") return D.trust_levels.indexOf(row.trust);
    if (key === "win_rate") return row.win_rate;
    if (key === "av_align_position") return row.av_align_position;
    if (key === "n") return rowN(row);
    var s = row.scores[key];
    return s ? s.value : null;
  }

  function rowN(row) {
    var ns = Object.keys(row.scores).map(function (m) { return row.scores[m].n; }).filter(function (n) { return n != null; });
    return ns.length ? Math.max.apply(null, ns) : null;
  }

  // Stable sort; missing values always last, whatever the direction. Reference rows (real
  // videos, controls) are levels, not contenders: they stay below the ranked rows.
  function sortedRows(bench) {
    var rows = bench.rows.filter(function (r) { return !r.reference; }).map(function (r, i) { return { r: r, i: i }; });
    var refs = bench.rows.filter(function (r) { return r.reference; });
    if (state.sortKey === null) return rows.map(function (x) { return x.r; }).concat(refs);
    rows.sort(function (a, b) {
      var va = sortValue(a.r, state.sortKey), vb = sortValue(b.r, state.sortKey);
      var ma = va === null || va === undefined, mb = vb === null || vb === undefined;
      if (ma || mb) return ma === mb ? a.i - b.i : (ma ? 1 : -1);
      if (va < vb) return -state.sortDir;
      if (va > vb) return state.sortDir;
      return a.i - b.i;
    });
    return rows.map(function (x) { return x.r; }).concat(refs);
  }

  // The first click on a metric sorts best first (descending for ↑, ascending for ↓).
  function firstDirection(bench, key) {
    if (key === "model" || key === "trust") return 1;
    if (key === "win_rate" || key === "n" || key === "av_align_position") return -1;
    var col = bench.columns.filter(function (c) { return c.metric === key; })[0];
    return col && !col.higher_is_better ? 1 : -1;
  }

  function renderTabs() {
    var nav = $("tabs");
    nav.textContent = "";
    D.benchmarks.forEach(function (b, i) {
      var btn = el("button", { type: "button", role: "tab", "aria-selected": String(i === state.tab), "data-benchmark": b.name,
                               text: b.name + " (" + b.rows.length + ")" });
      btn.addEventListener("click", function () { state.tab = i; state.sortKey = null; render(); });
      nav.appendChild(btn);
    });
  }

  function header(bench, key, label, cls, title) {
    var th = el("th", { "data-key": key, cls: cls || "", title: title || "click to sort" }, [label]);
    if (state.sortKey === key) th.classList.add(state.sortDir > 0 ? "sorted-asc" : "sorted-desc");
    th.addEventListener("click", function () {
      if (state.sortKey === key) state.sortDir = -state.sortDir;
      else { state.sortKey = key; state.sortDir = firstDirection(bench, key); }
      renderTable();
    });
    return th;
  }

  function renderTable() {
    var bench = D.benchmarks[state.tab];
    var table = $("table");
    table.textContent = "";
    table.setAttribute("data-benchmark", bench.name);
    var head = el("tr", {}, [header(bench, "model", "Model", "left"), header(bench, "trust", "Trust", "left"),
                             header(bench, "n", "n")]);
    bench.columns.forEach(function (c) {
      head.appendChild(c.level ?
        header(bench, c.metric, c.title + " " + c.level, "level", "the " + c.level + " reference row's score with the model's preset") :
        header(bench, c.metric, c.title + " " + c.arrow, "", (c.higher_is_better ? "higher" : "lower") +
               " is better; presets: " + c.presets.join(", ")));
    });
    var positioned = bench.rows.some(function (r) { return r.av_align_position != null; });
    if (positioned) head.appendChild(header(bench, "av_align_position", "AV-Align chance→real", "",
                                            "(AV-Align − chance) / (real − chance): 0 is chance, 1 the real videos"));
    head.appendChild(header(bench, "win_rate", "Mean win rate ↑", "", "HELM mean win rate over the metrics the model has; reference rows are not ranked"));
    table.appendChild(el("thead", {}, [head]));
    var body = el("tbody");
    var noteIds = {};
    var notesList = $("row-notes");
    notesList.textContent = "";
    // Caveats every paper row of the tab shares are listed once, not marked on each row.
    var paper = bench.rows.filter(function (r) { return r.trust === "reported"; });
    var shared = paper.length < 2 ? [] : paper[0].notes.filter(function (n) {
      return paper.every(function (r) { return r.notes.indexOf(n) >= 0; });
    });
    if (shared.length) notesList.appendChild(el("li", { cls: "shared", text: "Every paper (reported) row: " + shared.join("; ") }));
    sortedRows(bench).forEach(function (row) {
      var name = row.model.link ? el("a", { href: row.model.link, rel: "noopener" }, [row.model.name]) : document.createTextNode(row.model.name);
      var modelCell = el("td", { cls: "left" }, [name]);
      var caveats = row.notes.filter(function (n) { return row.trust !== "reported" || shared.indexOf(n) < 0; });
      if (caveats.length) {
        var nums = caveats.map(function (n) {
          if (!(n in noteIds)) { noteIds[n] = Object.keys(noteIds).length + 1; notesList.appendChild(el("li", { text: n, value: String(noteIds[n]) })); }
          return noteIds[n];
        });
        modelCell.appendChild(el("span", { cls: "mark", title: caveats.join("\n") }, [" †" + nums.join(",")]));
      }
      if (!row.reportable) {
        modelCell.appendChild(el("span", { cls: "badge unrep", title: "Not reportable: " + (row.reasons.join("; ") || "no reason given") },
                                 ["not reportable"]));
      }
      if (row.samples) {
        var btn = el("button", { cls: "link samples-link", type: "button", "data-entry": row.entry_id, text: " samples ▸" });
        btn.addEventListener("click", function () { openSamples(row); });
        modelCell.appendChild(btn);
      }
      if (row.reference) {
        modelCell.appendChild(el("span", { cls: "badge reference", title: "a reference level, not ranked" }, ["reference: " + row.reference]));
      }
      var cls = (row.reportable ? "" : "unreportable") + (row.reference ? " reference" : "");
      var tr = el("tr", { "data-entry": row.entry_id, "data-reference": row.reference || "", cls: cls.trim() }, [
        modelCell,
        el("td", { cls: "left" }, [el("span", { cls: "badge trust-" + row.trust, title: "source: " + row.source }, [row.trust])]),
        el("td", { text: rowN(row) === null ? "—" : String(rowN(row)) })]);
      bench.columns.forEach(function (c) {
        var s = row.scores[c.metric];
        var td = el("td", { "data-metric": c.metric, text: s ? s.display : "—" });
        if (s) {
          td.title = (s.preset ? s.preset + (s.version ? " v" + s.version : "") : "preset unstated") + (s.n != null ? "; n=" + s.n : "");
          if (s.rank === 1) td.classList.add("best");
          if (s.rank === 2) td.classList.add("second");
        }
        tr.appendChild(td);
      });
      if (positioned) {
        tr.appendChild(el("td", { "data-metric": "av_align_position",
                                  text: row.av_align_position == null ? "" : row.av_align_position.toFixed(2) }));
      }
      tr.appendChild(el("td", { "data-metric": "win_rate", text: row.reference ? "reference" : row.win_rate_display }));
      body.appendChild(tr);
    });
    table.appendChild(body);
  }

  function renderFooter() {
    var bench = D.benchmarks[state.tab];
    var footer = $("footer");
    footer.textContent = "";
    var foot = el("ul");
    bench.footnotes.forEach(function (n) { foot.appendChild(el("li", { text: n })); });
    footer.appendChild(foot);
    footer.appendChild(el("p", { text: "Bold: best; underlined: second best (per metric direction). " +
      "Downloads: " }, [el("a", { href: "leaderboard.csv", text: "CSV" }), " · ", el("a", { href: "leaderboard.json", text: "JSON" }),
      " · ", el("a", { href: "leaderboard.tex", text: "LaTeX" })]));
  }

  function figure(p) {
    return el("figure", { cls: p.wide ? "wide" : "" }, [el("a", { href: p.png }, [el("img", { src: p.png, alt: p.title, loading: "lazy" })]),
      el("figcaption", {}, [p.title + " — ", el("a", { href: p.png, text: "PNG" }), " · ", el("a", { href: p.svg, text: "SVG" })])]);
  }

  function renderPlots() {
    var plots = $("plots");
    plots.textContent = "";
    D.benchmarks[state.tab].plots.concat(D.plots).forEach(function (p) { plots.appendChild(figure(p)); });
    if (!plots.children.length) plots.appendChild(el("p", { cls: "footer", text: "No plots for this benchmark." }));
  }

  function render() {
    renderTabs();
    renderTable();
    renderFooter();
    renderPlots();
    $("board").hidden = false;
    $("samples").hidden = true;
  }

  // --- per-sample browser ---------------------------------------------------------------
  var browser = { data: null, sortKey: null, dir: 1 };

  function openSamples(row) {
    window.AVBENCH_SAMPLES = window.AVBENCH_SAMPLES || {};
    var show = function () { showSamples(window.AVBENCH_SAMPLES[row.entry_id]); };
    if (window.AVBENCH_SAMPLES[row.entry_id]) return show();
    var script = el("script", { src: row.samples });
    script.onload = show;
    script.onerror = function () { alert("Could not load " + row.samples); };
    document.body.appendChild(script);
  }

  function showSamples(data) {
    browser.data = data;
    browser.sortKey = data.metrics.indexOf("av_align") >= 0 ? "av_align" : data.metrics[0] || null;
    browser.dir = 1;
    $("board").hidden = true;
    $("samples").hidden = false;
    $("samples-title").textContent = data.model + " on " + data.benchmark + ": " + data.samples.length + " samples";
    $("samples-notes").textContent = "Peak plots: AV-Align " + data.preset + ", recomputed at build time from the submitted media." +
      data.notes.map(function (n) { return " " + n.charAt(0).toUpperCase() + n.slice(1) + "."; }).join("");
    var select = $("samples-sort");
    select.textContent = "";
    data.metrics.forEach(function (m) { select.appendChild(el("option", { value: m, text: m })); });
    if (browser.sortKey) select.value = browser.sortKey;
    renderSampleList();
    if (data.samples.length) showSample(sortedSamples()[0]);
  }

  function sortedSamples() {
    var key = browser.sortKey, list = browser.data.samples.map(function (s, i) { return { s: s, i: i }; });
    if (!key) return browser.data.samples.slice();
    list.sort(function (a, b) {
      var va = a.s.scores[key], vb = b.s.scores[key];
      var ma = va === null || va === undefined, mb = vb === null || vb === undefined;
      if (ma || mb) return ma === mb ? a.i - b.i : (ma ? 1 : -1);
      return va === vb ? a.i - b.i : (va < vb ? -browser.dir : browser.dir);
    });
    return list.map(function (x) { return x.s; });
  }

  function fmt(v) { return v === null || v === undefined ? "—" : (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3)); }

  function renderSampleList() {
    var table = $("samples-table");
    table.textContent = "";
    var metrics = browser.data.metrics;
    table.appendChild(el("thead", {}, [el("tr", {}, [el("th", { cls: "left", text: "sample" }), el("th", { cls: "left", text: "label" })]
      .concat(metrics.map(function (m) { return el("th", { text: m }); })))]));
    var body = el("tbody");
    sortedSamples().forEach(function (s) {
      var tr = el("tr", { "data-sample": s.sample_id }, [el("td", { cls: "left", text: s.sample_id }), el("td", { cls: "left", text: s.label })]
        .concat(metrics.map(function (m) { return el("td", { text: fmt(s.scores[m]) }); })));
      tr.addEventListener("click", function () { showSample(s); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    $("samples-order").textContent = browser.dir > 0 ? "ascending" : "descending";
  }

  // The WAV plays in an <audio> that follows the (muted) video: play, pause, seek, rate, drift.
  function syncAudio(video, audio) {
    var align = function () { if (Math.abs(audio.currentTime - video.currentTime) > 0.05) audio.currentTime = video.currentTime; };
    video.addEventListener("play", function () { align(); audio.play(); });
    video.addEventListener("pause", function () { audio.pause(); });
    video.addEventListener("seeked", align);
    video.addEventListener("ratechange", function () { audio.playbackRate = video.playbackRate; });
    video.addEventListener("timeupdate", function () { if (!video.paused && Math.abs(audio.currentTime - video.currentTime) > 0.1) align(); });
    video.addEventListener("ended", function () { audio.pause(); });
  }

  function showSample(s) {
    Array.prototype.forEach.call($("samples-table").querySelectorAll("tr.selected"), function (tr) { tr.classList.remove("selected"); });
    var tr = $("samples-table").querySelector('tr[data-sample="' + CSS.escape(s.sample_id) + '"]');
    if (tr) tr.classList.add("selected");
    var box = $("sample-detail");
    box.textContent = "";
    box.appendChild(el("h3", { text: s.sample_id + (s.label ? " — " + s.label : "") }));
    if (s.text) box.appendChild(el("p", { text: s.text }));
    var video = el("video", { src: s.video, controls: "", preload: "metadata", playsinline: "" });
    box.appendChild(video);
    if (s.audio) {
      video.muted = true;
      var audio = el("audio", { src: s.audio, preload: "auto", controls: "" });
      box.appendChild(el("p", { cls: "footer", text: "Audio: the sample's WAV, played in sync with the video (use the video's controls)." }));
      box.appendChild(audio);
      syncAudio(video, audio);
    } else {
      box.appendChild(el("p", { cls: "footer", text: "Audio: the video's own track." }));
    }
    var a = s.av_align;
    if (a && a.error) box.appendChild(el("p", { cls: "bad", text: "AV-Align could not be recomputed: " + a.error }));
    else if (a) {
      box.appendChild(el("p", {}, ["AV-Align (" + a.preset + "): recomputed " + fmt(a.recomputed) + ", submitted " + fmt(a.submitted) + " ",
        el("span", { cls: a.agrees ? "ok" : "bad", text: a.agrees ? "(agree)" : "(DIFFER)" }),
        " — " + a.n_audio_peaks + " audio peaks, " + a.n_video_peaks + " video peaks, " + a.n_matched + " matched, " + a.fps + " fps"]));
    } else box.appendChild(el("p", { cls: "footer", text: "No peak plot for this sample (see the note above)." }));
    if (s.peak_plot) box.appendChild(el("img", { src: s.peak_plot, alt: "AV-Align peak plot of " + s.sample_id }));
  }

  function init() {
    var notes = $("build-notes");
    if (!D) { document.body.appendChild(el("p", { cls: "bad", text: "data.js is missing: rebuild with avbench leaderboard build." })); return; }
    if (D.notes.length) {
      notes.appendChild(el("p", { text: "Build notes:" }));
      var list = el("ul");
      D.notes.forEach(function (n) { list.appendChild(el("li", { text: n })); });
      notes.appendChild(list);
    }
    notes.appendChild(el("p", { text: "Built " + D.generated_at + "." }));
    $("samples-close").addEventListener("click", render);
    $("samples-sort").addEventListener("change", function (e) { browser.sortKey = e.target.value; renderSampleList(); });
    $("samples-order").addEventListener("click", function () { browser.dir = -browser.dir; renderSampleList(); });
    if (!D.benchmarks.length) { $("board").appendChild(el("p", { text: "The store holds no entries yet." })); return; }
    render();
  }

  init();
})();

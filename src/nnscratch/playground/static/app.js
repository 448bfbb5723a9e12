// nnscratch playground: the page only draws what the Python server sends and sends the learner's
// controls back; all training happens in the library itself (no JavaScript copy of the network).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const token = document.querySelector('meta[name="nnscratch-token"]').content;
  const FIELDS = ["data", "noise", "samples", "test_ratio", "data_seed", "preprocess", "layers", "activations",
    "output", "init", "seed", "optimizer", "lr", "batch", "weight_decay", "batchnorm", "dropout", "l1", "l2", "speed"];
  const REGULARISATION = ["batchnorm", "dropout", "l1", "l2"]; // layers and loss of the network: rebuilt
  const ACTS = ["tanh", "relu", "sigmoid", "leaky_relu", "identity"];
  const PALETTE = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
    [140, 86, 75], [227, 119, 194], [127, 127, 127]];
  const st = { settings: null, session: null, data: null, frame: null, unit: null, trace: null,
    frames: 0, ws: null, layersKey: "", diagramKey: "", pending: null };
  window.playground = st; // for tests and the benchmark: st.frames counts frames drawn
  let lang = new URLSearchParams(location.search).get("lang") || document.documentElement.lang || "ja";
  if (!(lang in window.I18N)) lang = "ja";

  function t(key, vars) {
    let s = window.I18N[lang][key] || window.I18N.en[key] || key;
    for (const k in vars || {}) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  }
  const fmt = (v) => (v === null || v === undefined ? "–" : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(2) : (+v.toPrecision(4)).toString());
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const send = (obj) => { if (st.ws && st.ws.readyState === 1) st.ws.send(JSON.stringify(obj)); };
  const change = (fields) => send({ type: "set", settings: fields });

  function alertLine(text, kind) { // kind "diverged": the frames keep it up to date; others stay until replaced
    st.alertKind = text ? kind || "message" : null;
    const a = $("alert");
    a.hidden = !text;
    a.textContent = text || "";
  }

  // what the last change did, in the page's language: rebuilt the run (step 0) or applied live
  function noticeText(c) {
    const s = st.settings;
    if (c.rebuilt) {
      const regular = c.rebuilt === "network" && c.fields.every((k) => REGULARISATION.includes(k));
      const parts = [t(c.rebuilt === "data" ? "rebuilt_data" : regular ? "rebuilt_regular" : "rebuilt_network")];
      if (c.rebuilt === "data" && c.fields.includes("output")) parts.push(t("output_fitted", { o: t(s.output) }));
      if (c.stopped) parts.push(t("rebuilt_stopped"));
      return parts.map((p) => p.replace(/[。.]$/, "")).join(t("sentence_sep")) + t("sentence_sep").trim();
    }
    const value = { lr: () => fmt(s.lr), optimizer: () => s.optimizer, weight_decay: () => fmt(s.weight_decay),
      batch: () => (s.batch === "full" || s.batch === "online" ? t(s.batch) : `${t("mini")} k = ${s.batch}`) };
    const parts = c.fields.filter((k) => k in value).map((k) => t("live_" + k, { v: value[k]() }));
    if (!parts.length) return "";
    const text = parts.join(t("list_sep")) + t("live_kept", { n: c.step });
    return text[0].toUpperCase() + text.slice(1);
  }

  function notice(change) { // kept as the change itself so a language switch words it again
    st.notice = change || null;
    const text = change ? noticeText(change) : "";
    $("notice").hidden = !text;
    $("notice").textContent = text;
  }

  // ------------------------------------------------------------ language and URL state
  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-label]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nLabel)));
    document.title = t("title");
    $("lang").value = lang;
    st.layersKey = "";
    st.diagramKey = "";
    if (st.settings) { renderLayers(st.settings); renderDataControls(st.settings); }
    if (st.notice) notice(st.notice);
    if (st.closed) closedLine();
    if (st.info && st.frame) info(st.info);
    traceHead();
    if (!st.frame || !st.frame.unit) unitHint();
    if (st.frame) draw(st.frame);
    if (st.trace) send({ type: "trace", part: st.trace.part, index: st.trace.index, lang });
    saveUrl();
  }

  function readUrl() {
    const q = new URLSearchParams(location.search);
    const s = {};
    for (const f of FIELDS) if (q.has(f)) s[f] = q.get(f);
    return s;
  }

  function saveUrl() {
    if (!st.settings) return;
    const q = new URLSearchParams();
    q.set("token", token);
    q.set("lang", lang);
    for (const f of FIELDS) {
      const v = st.settings[f];
      q.set(f, Array.isArray(v) ? v.join("-") : String(v));
    }
    history.replaceState(null, "", "?" + q.toString());
  }

  // ------------------------------------------------------------ controls
  function setSettings(s) {
    st.settings = s;
    document.querySelectorAll("[data-setting]").forEach((el) => {
      if (el.type === "checkbox") el.checked = !!s[el.dataset.setting];
      else if (document.activeElement !== el || el.tagName === "SELECT") el.value = String(s[el.dataset.setting]);
    });
    $("noise-out").textContent = s.noise;
    $("dropout-out").textContent = s.dropout;
    $("test_ratio-out").textContent = s.test_ratio;
    $("lr").value = Math.log10(s.lr).toFixed(1);
    $("lr-out").textContent = fmt(s.lr);
    $("lr").setAttribute("aria-valuetext", fmt(s.lr)); // the slider moves log10(lr); say the rate itself
    const mode = s.batch === "full" || s.batch === "online" ? s.batch : "mini";
    $("batchmode").value = mode;
    $("batchsize").disabled = mode !== "mini";
    if (mode === "mini") $("batchsize").value = s.batch;
    renderLayers(s);
    renderDataControls(s);
    saveUrl();
  }

  // an uploaded CSV has its own rows: the noise and the sample count do not apply (disabled, and said why);
  // the data seed still picks the train/test split of its rows (said in its tooltip)
  function renderDataControls(s) {
    const csv = s.data === "csv";
    for (const id of ["noise", "samples"]) {
      $(id).disabled = csv;
      for (const el of [$(id), $(id + "-label")]) {
        if (csv) el.title = t("csv_off"); else el.removeAttribute("title");
      }
      $(id + "-label").classList.toggle("off", csv);
    }
    $("noise-out").classList.toggle("off", csv);
    for (const el of [$("data_seed"), $("data_seed-label")]) {
      if (csv) el.title = t("csv_seed"); else el.removeAttribute("title");
    }
    $("csv-note").hidden = !csv;
    $("csv-note").textContent = csv ? t("csv_note") : "";
  }

  function renderLayers(s) {
    const key = JSON.stringify([s.layers, s.activations, lang]);
    if (key === st.layersKey) return;
    st.layersKey = key;
    const box = $("layers");
    box.textContent = "";
    $("layer-count").textContent = String(s.layers.length);
    s.layers.forEach((units, i) => {
      const fs = document.createElement("fieldset");
      const lg = document.createElement("legend");
      lg.textContent = t("layer_n", { n: i + 1 });
      const num = document.createElement("input");
      Object.assign(num, { type: "number", min: 1, max: 32, value: units });
      num.setAttribute("aria-label", t("layer_n", { n: i + 1 }) + " " + t("units"));
      num.addEventListener("change", () => {
        const layers = st.settings.layers.slice();
        layers[i] = Math.max(1, Math.min(32, parseInt(num.value, 10) || 1));
        change({ layers, activations: st.settings.activations });
      });
      const sel = document.createElement("select");
      sel.setAttribute("aria-label", t("layer_n", { n: i + 1 }) + " " + t("activation"));
      for (const a of ACTS) sel.add(new Option(a, a, false, a === s.activations[i]));
      sel.addEventListener("change", () => {
        const activations = st.settings.activations.slice();
        activations[i] = sel.value;
        change({ activations });
      });
      fs.append(lg, num, sel);
      box.append(fs);
    });
  }

  function bindControls() {
    document.querySelectorAll("[data-setting]").forEach((el) => {
      el.addEventListener("change", () => change({ [el.dataset.setting]: el.type === "checkbox" ? el.checked : el.value }));
      if (el.type === "range") el.addEventListener("input", () => { $(el.id + "-out").textContent = el.value; });
    });
    let lrTimer = null;
    $("lr").addEventListener("input", () => {
      const lr = +Math.pow(10, +$("lr").value).toPrecision(3);
      $("lr-out").textContent = fmt(lr);
      $("lr").setAttribute("aria-valuetext", fmt(lr));
      clearTimeout(lrTimer);
      lrTimer = setTimeout(() => change({ lr }), 120);
    });
    const batch = () => change({ batch: $("batchmode").value === "mini" ? ($("batchsize").value || "10") : $("batchmode").value });
    $("batchmode").addEventListener("change", batch);
    $("batchsize").addEventListener("change", batch);
    $("add-layer").addEventListener("click", () => {
      const s = st.settings;
      if (s.layers.length < 6) change({ layers: [...s.layers, 4], activations: [...s.activations, s.activations.at(-1) || "tanh"] });
    });
    $("remove-layer").addEventListener("click", () => {
      const s = st.settings;
      if (s.layers.length) change({ layers: s.layers.slice(0, -1), activations: s.activations.slice(0, -1) });
    });
    $("play").addEventListener("click", () => { notice(null); send({ type: st.frame && st.frame.running ? "pause" : "play" }); });
    for (const k of ["step", "epoch", "reset"]) $(k).addEventListener("click", () => { notice(null); send({ type: k }); });
    $("lang").addEventListener("change", () => { lang = $("lang").value; applyLang(); });
    $("trace").addEventListener("click", () => traceSample($("trace-part").value, parseInt($("trace-index").value, 10) || 0));
    $("gradcheck").addEventListener("click", () => { $("gradcheck-out").textContent = "…"; send({ type: "gradcheck" }); });
    $("csv").addEventListener("change", upload);
    $("plane").addEventListener("click", clickPlane);
  }

  function traceSample(part, index) {
    $("trace-part").value = part;
    $("trace-index").value = index;
    send({ type: "trace", part, index, lang });
  }

  async function upload() {
    const file = $("csv").files[0];
    const out = $("csv-error");
    if (!file) return;
    out.className = "error";
    if (file.size > 5 * 1024 * 1024) { out.textContent = `${file.name}: larger than 5 MB`; return; }
    const name = file.name.replace(/[^A-Za-z0-9._-]/g, "_");
    const r = await fetch(`/api/upload?session=${encodeURIComponent(st.session)}`, {
      method: "POST", body: file, headers: { "X-Playground-Token": token, "X-Filename": name, "Content-Type": "text/csv" } });
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (body.error) { out.textContent = body.error; return; }
    out.className = "ok";
    out.textContent = t("csv_rows", { n: body.rows });
    setSettings(body.settings);
    notice(body.change);
  }

  // ------------------------------------------------------------ drawing
  function mix(c, a) { return c.map((v) => Math.round(255 * (1 - a) + v * a)); }
  function valueColour(v) { // 0..1: blue – white – orange
    return v < 0.5 ? mix(PALETTE[0], 1 - 2 * v) : mix(PALETTE[1], 2 * v - 1);
  }
  function pointColour(y) {
    const d = st.data;
    if (d.task === "regression") return valueColour((y - d.vrange[0]) / (d.vrange[1] - d.vrange[0] || 1));
    return PALETTE[y % PALETTE.length];
  }

  function toPixel(x0, x1, w, h) {
    const b = st.data.bounds; // lo0, lo1, hi0, hi1
    return [(x0 - b[0]) / (b[2] - b[0]) * w, (b[3] - x1) / (b[3] - b[1]) * h];
  }

  function heat(canvas, cells, G, colour) {
    const off = document.createElement("canvas");
    off.width = off.height = G;
    const octx = off.getContext("2d");
    const img = octx.createImageData(G, G);
    for (let i = 0; i < G * G; i++) {
      const c = colour(cells, i);
      img.data.set([c[0], c[1], c[2], 255], 4 * i);
    }
    octx.putImageData(img, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    return ctx;
  }

  function drawPlane(f) {
    const c = $("plane"), G = st.data.grid, cells = b64(f.grid.cells);
    const colour = f.grid.kind === "class"
      ? (a, i) => mix(PALETTE[a[2 * i] % PALETTE.length], 0.12 + 0.55 * a[2 * i + 1] / 255)
      : (a, i) => valueColour(a[i] / 255);
    const ctx = heat(c, cells, G, colour);
    for (const part of ["train", "test"]) {
      const p = st.data[part];
      for (let k = 0; k < p.i.length; k++) {
        const [x, y] = toPixel(p.x0[k], p.x1[k], c.width, c.height);
        ctx.beginPath();
        ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
        ctx.fillStyle = `rgb(${pointColour(p.y[k]).join(",")})`;
        ctx.fill();
        ctx.lineWidth = part === "train" ? 1 : 1.6;
        ctx.strokeStyle = part === "train" ? "#fff" : "#111";
        ctx.stroke();
      }
    }
    if (st.trace) {
      const [x, y] = toPixel(st.trace.raw[0], st.trace.raw[1], c.width, c.height);
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#000";
      ctx.stroke();
    }
  }

  function clickPlane(ev) {
    if (!st.data) return;
    const c = $("plane"), r = c.getBoundingClientRect();
    const mx = (ev.clientX - r.left) * c.width / r.width, my = (ev.clientY - r.top) * c.height / r.height;
    let best = null, bestD = 100;
    for (const part of ["train", "test"]) {
      const p = st.data[part];
      for (let k = 0; k < p.i.length; k++) {
        const [x, y] = toPixel(p.x0[k], p.x1[k], c.width, c.height);
        const d = (x - mx) ** 2 + (y - my) ** 2;
        if (d < bestD) { bestD = d; best = [part, p.i[k]]; }
      }
    }
    if (best) traceSample(best[0], best[1]);
  }

  // 1, 2, 2.5, 5 × 10^k: the smallest at or above v (an axis ends on a round number)
  function niceCeil(v) {
    if (!(v > 0) || !isFinite(v)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-9)) return m * p;
    return 10 * p;
  }

  function drawCurve(f) {
    const c = $("curve"), ctx = c.getContext("2d"), w = c.width, h = c.height;
    const L = 40, R = 12, T = 20, B = 22; // the plot area's margins: tick labels left, step numbers below
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    const pts = f.curve;
    // the axes from step 0: steps x0 … x1 (at least 10 wide), loss 0 … a round number above the largest
    const x0 = pts.length ? pts[0][0] : 0;
    const x1 = Math.max(pts.length ? pts.at(-1)[0] : 0, x0 + 10);
    let top = 0;
    for (const p of pts) for (const v of [p[1], p[2]]) if (v !== null && v > top) top = v;
    top = niceCeil(top * 1.05);
    st.curveAxis = { x: [x0, x1], y: [0, top] };
    const X = (s) => L + (s - x0) / (x1 - x0) * (w - L - R), Y = (v) => h - B - v / top * (h - T - B);
    ctx.font = '11px "IPAexGothic-nnscratch", sans-serif'; // the page's Japanese web font in the canvas too
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    for (const v of [0, top / 2, top]) { // grid lines and the loss ticks
      ctx.strokeStyle = v ? "#e6e6e6" : "#555";
      ctx.beginPath(); ctx.moveTo(L, Y(v) + 0.5); ctx.lineTo(w - R, Y(v) + 0.5); ctx.stroke();
      ctx.fillStyle = "#333";
      ctx.fillText(fmt(v), L - 4, Y(v) + 4);
    }
    ctx.strokeStyle = "#555";
    ctx.beginPath(); ctx.moveTo(L + 0.5, T); ctx.lineTo(L + 0.5, h - B); ctx.stroke();
    ctx.textAlign = "left";
    ctx.fillText(String(x0), L, h - 6);
    ctx.textAlign = "right";
    ctx.fillText(String(x1), w - R, h - 6);
    ctx.textAlign = "center";
    ctx.fillStyle = "#777";
    ctx.fillText(t("step_count"), (L + w - R) / 2, h - 6);
    ctx.textAlign = "left";
    const line = (col, idx, dash) => {
      ctx.strokeStyle = ctx.fillStyle = col;
      const shown = pts.filter((p) => p[idx] !== null);
      if (shown.length === 1) { // one point (step 0): a dot where the line will start
        ctx.beginPath();
        ctx.arc(X(shown[0][0]), Y(shown[0][idx]), 3, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      ctx.beginPath();
      ctx.setLineDash(dash);
      shown.forEach((p, k) => (k ? ctx.lineTo(X(p[0]), Y(p[idx])) : ctx.moveTo(X(p[0]), Y(p[idx]))));
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1;
    };
    line("#1f77b4", 1, []);
    line("#d62728", 2, [5, 3]);
    ctx.fillStyle = "#1f77b4";
    ctx.fillText(`${t("train_loss")} ${fmt(f.loss.train)}`, L + 4, 13);
    ctx.fillStyle = "#d62728";
    ctx.fillText(`${t("test_loss")} ${fmt(f.loss.test)}`, L + 180, 13);
  }

  function drawDiagram(f) {
    const sizes = st.data.sizes, svg = $("diagram"), W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
    const key = JSON.stringify([sizes, lang]);
    const pos = (l, u) => [20 + l * (W - 40) / (sizes.length - 1), (u + 0.5) * H / sizes[l]];
    if (key !== st.diagramKey) {
      st.diagramKey = key;
      svg.textContent = "";
      const NS = "http://www.w3.org/2000/svg";
      st.edges = [];
      for (let l = 1; l < sizes.length; l++) {
        const layer = [];
        for (let i = 0; i < sizes[l - 1]; i++) for (let j = 0; j < sizes[l]; j++) {
          const e = document.createElementNS(NS, "line");
          const [ax, ay] = pos(l - 1, i), [bx, by] = pos(l, j);
          Object.entries({ x1: ax, y1: ay, x2: bx, y2: by }).forEach(([k, v]) => e.setAttribute(k, v));
          e.addEventListener("mouseenter", () => info(() => t("weight_of", { l, i, j, v: fmt(st.frame.weights["W" + l][i][j]) })));
          svg.append(e);
          layer.push(e);
        }
        st.edges.push(layer);
      }
      for (let l = 0; l < sizes.length; l++) for (let u = 0; u < sizes[l]; u++) {
        const n = document.createElementNS(NS, "circle");
        const [x, y] = pos(l, u);
        Object.entries({ cx: x, cy: y, r: Math.max(3, Math.min(8, H / sizes[l] / 3)) }).forEach(([k, v]) => n.setAttribute(k, v));
        n.setAttribute("class", l === 0 ? "unit input" : "unit");
        if (l > 0) {
          const label = t("unit_n", { l, u });
          n.setAttribute("tabindex", "0");
          n.setAttribute("role", "button");
          n.setAttribute("aria-label", label);
          const pick = () => {
            st.unit = [l, u];
            send({ type: "unit", layer: l, unit: u });
            info(() => t("unit_n", { l, u }) + ": b = " + fmt(st.frame.weights["b" + l][u]));
          };
          n.addEventListener("click", pick);
          n.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
        } else n.setAttribute("aria-label", t("input_n", { u }));
        svg.append(n);
      }
    }
    for (let l = 1; l < sizes.length; l++) {
      const Wl = f.weights["W" + l];
      if (!Wl || !st.edges[l - 1]) continue;
      let k = 0;
      for (let i = 0; i < sizes[l - 1]; i++) for (let j = 0; j < sizes[l]; j++) {
        const v = Wl[i][j], e = st.edges[l - 1][k++];
        e.setAttribute("stroke", v >= 0 ? "#1f77b4" : "#ff7f0e");
        e.setAttribute("stroke-width", Math.min(6, 0.3 + 1.5 * Math.abs(v)).toFixed(2));
      }
    }
  }

  function info(text) { // the line under the diagram, kept as a function so a language switch redraws it
    st.info = text;
    try {
      $("edge-info").textContent = text();
    } catch (e) { // the unit or weight is gone (a new network)
      st.info = null;
      $("edge-info").textContent = "";
    }
  }

  function unitHint() { // no unit chosen (or it is gone with a new network): an empty box says what to click
    const c = $("unit"), ctx = c.getContext("2d");
    ctx.fillStyle = "#f3f3f6";
    ctx.fillRect(0, 0, c.width, c.height);
    $("unit-info").textContent = t("unit_hint");
    $("unit-info").classList.add("hint");
  }

  function drawUnit(f) {
    const u = f.unit;
    if (!u) { unitHint(); return; }
    heat($("unit"), b64(u.cells), st.data.grid, (a, i) => valueColour(a[i] / 255));
    $("unit-info").classList.remove("hint");
    $("unit-info").textContent = `${t("unit_n", { l: u.layer, u: u.unit })}: ${t("unit_range", { a: fmt(u.min), b: fmt(u.max) })}`;
  }

  function traceHead() { // the trace panel's line: what is traced, or what to click
    const m = st.trace, head = $("trace-head");
    head.classList.toggle("hint", !m);
    head.textContent = m ? t("trace_of", { p: t(m.part), i: m.index, x: "(" + m.raw.map(fmt).join(", ") + ")", s: m.step, lr: fmt(m.lr) })
      + (m.batchnorm ? " " + t("trace_bn") : "") : t("trace_hint");
    if (!m) { $("trace-text").textContent = ""; $("trace-text").hidden = true; }
  }

  function drawGradnorms(f) {
    const box = $("gradnorms");
    box.textContent = "";
    f.gradnorms.forEach(([gw], i) => {
      const row = document.createElement("div");
      row.className = "bar";
      const pct = gw ? Math.max(1, Math.min(100, (Math.log10(gw) + 8) / 9 * 100)) : 0;
      const name = document.createElement("span"), track = document.createElement("span");
      const fill = document.createElement("span"), value = document.createElement("span");
      name.textContent = `W${i + 1}`;
      track.className = "track";
      fill.className = "fill";
      fill.style.width = `${pct}%`; // CSSOM, allowed by the page's Content-Security-Policy
      value.textContent = fmt(gw);
      track.append(fill);
      row.append(name, track, value);
      box.append(row);
    });
  }

  // what L1/L2 do to the weights: the share of near-zero weights per layer, and the penalty beside E
  function drawNearZero(f) {
    const box = $("nearzero");
    box.textContent = "";
    f.near_zero.forEach((z, i) => {
      const row = document.createElement("div");
      row.className = "bar";
      row.title = t("near_zero_of", { l: i + 1, c: z.count, n: z.size, m: fmt(z.mean_abs) });
      const name = document.createElement("span"), track = document.createElement("span");
      const fill = document.createElement("span"), value = document.createElement("span");
      name.textContent = `W${i + 1}`;
      track.className = "track";
      fill.className = "fill zero";
      fill.style.width = `${(100 * z.share).toFixed(1)}%`;
      value.textContent = `${(100 * z.share).toFixed(1)}%`;
      track.append(fill);
      row.append(name, track, value);
      box.append(row);
    });
    const p = f.penalty;
    $("penalty").textContent = p.l1 || p.l2 ? t("penalty_line", { v: fmt(p.value), l1: fmt(p.l1), l2: fmt(p.l2) })
      : t("penalty_hint");
  }

  function draw(f) {
    if (!st.data || f.version !== st.data.version) return;
    drawPlane(f);
    drawCurve(f);
    drawDiagram(f);
    drawUnit(f);
    drawGradnorms(f);
    drawNearZero(f);
    $("stepcount").textContent = f.step;
    $("epochcount").textContent = f.epoch;
    const acc = f.accuracy.train === null ? "" : ` · ${t("train_acc")} ${(100 * f.accuracy.train).toFixed(1)}% · ${t("test_acc")} ${f.accuracy.test === null ? "–" : (100 * f.accuracy.test).toFixed(1) + "%"}`;
    const penalty = f.penalty.l1 || f.penalty.l2 ? " " + t("plus_penalty", { v: fmt(f.penalty.value) }) : "";
    $("scores").textContent = `${t("train_loss")} ${fmt(f.loss.train)}${penalty} · ${t("test_loss")} ${fmt(f.loss.test)}${acc}`;
    $("play").textContent = t(f.running ? "pause" : "play");
    $("play").setAttribute("aria-pressed", f.running ? "true" : "false");
    $("h-out").textContent = t(st.data.task === "regression" ? "boundary_regression" : "boundary");
    const d = f.diverged;
    if (d) alertLine(t("diverged", { n: d.step, v: d.value, k: d.kept }), "diverged");
    else if (st.alertKind === "diverged") alertLine(""); // (an error line stays until the next change)
  }

  // ------------------------------------------------------------ the connection
  function handle(m) {
    if (m.type === "hello") {
      st.session = m.session;
      const q = `token=${encodeURIComponent(token)}&session=${encodeURIComponent(m.session)}`;
      $("dl-model").href = `/api/model.npz?${q}`;
      $("dl-script").href = `/api/reproduce.py?${q}`;
      setSettings(m.settings);
    } else if (m.type === "settings") {
      alertLine("");
      setSettings(m.settings);
      notice(m.change);
    } else if (m.type === "data") {
      st.data = m;
      st.trace = null; // a new run: the old trace is of other weights
      traceHead();
      st.diagramKey = "";
    } else if (m.type === "frame") {
      st.frame = m;
      st.received = (st.received || 0) + 1;
      if (JSON.stringify(m.settings) !== JSON.stringify(st.settings)) setSettings(m.settings);
      if (!st.pending) {
        st.pending = true;
        requestAnimationFrame(() => {
          st.pending = false;
          const t0 = performance.now();
          draw(st.frame);
          st.drawMs = performance.now() - t0; // for the benchmark: the page's own cost of one frame
          st.frames += 1;
          send({ type: "ack", n: st.received });
          st.received = 0;
        });
      }
    } else if (m.type === "trace") {
      st.trace = m;
      traceHead();
      $("trace-text").hidden = false;
      $("trace-text").textContent = m.text;
      $("trace-text").dataset.part = m.part;
      $("trace-text").dataset.index = m.index;
      $("trace-text").dataset.step = m.step;
      if (st.frame) drawPlane(st.frame);
    } else if (m.type === "gradcheck") {
      $("gradcheck-out").textContent = (m.ok ? t("gradcheck_ok", { e: m.max.toExponential(2), r: m.rows }) : t("gradcheck_bad", { e: m.max.toExponential(2) }))
        + (m.warning ? " — " + m.warning : "");
    } else if (m.type === "error") {
      alertLine(m.message);
      if (st.settings) setSettings(st.settings); // a refused change: the controls show what is in force
      if (!st.session) st.ws.send(JSON.stringify({ type: "hello", settings: {} }));
    }
  }

  function closedLine() {
    const c = st.closed;
    alertLine(c.code === 1013 && c.reason ? t("refused", { r: c.reason })
      : t("closed", { c: `${c.code}${c.reason ? ": " + c.reason : ""}` }));
  }

  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    st.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", settings: readUrl() }));
    ws.onmessage = (ev) => handle(JSON.parse(ev.data));
    // 1013: the server has as many pages as it serves; its one-line reason is shown as it is
    ws.onclose = (ev) => {
      st.closed = { code: ev.code, reason: ev.reason };
      closedLine();
      // nothing is listening any more: the controls say so by being off (the language still switches)
      document.querySelectorAll("main input, main select, main button, .run button, .run select")
        .forEach((el) => { el.disabled = true; });
    };
  }

  bindControls();
  applyLang();
  connect();
})();

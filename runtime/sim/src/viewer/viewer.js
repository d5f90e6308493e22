// Rio's trace viewer. Reads the trace embedded in the page (#rio-data),
// draws one lane per node on a time axis, and keeps the page fast on large
// traces by drawing only the rows in view (the DOM holds a few hundred
// elements whatever the trace's length).
//
// Layout rule that makes labels never overlap: every visible event owns one
// row of ROW pixels, and its label (if any) is drawn inside that row, to the
// right of the lane it happens at, cut to fit before the next lane. Two
// labels are in different rows or are the same label. Full values are in the
// tooltip (hover) and in the details panel (click or step).
(function () {
  'use strict';
  const NS = 'http://www.w3.org/2000/svg';
  const ROW = 18;
  const GUTTER = 78;
  const FONT = 'bold 11px ui-monospace, monospace'; // the widest label font
  // Text widths as the browser draws them (any script, emoji included),
  // measured once per text and width.
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = FONT;
  const width_of = (t) => ctx.measureText(t).width;
  const LONG = 400; // arrows spanning more rows than this are kept apart
  const MAX_KEYS = 300; // instance keys listed in the side panel

  const data = JSON.parse(document.getElementById('rio-data').textContent);
  const N = data.nodes;
  const E = data.events;

  // ---- preprocessing (once) ----
  const isMsg = (e) => e.event === 'deliver' || e.event === 'drop';
  const byz = new Array(N).fill(false);
  const lines = new Map(); // line -> count
  const keys = new Map(); // key string -> {count, first}
  let longestOutput = 0;
  for (let i = 0; i < E.length; i++) {
    const e = E[i];
    e.keyStr = Array.isArray(e.key) ? e.key.join(',') : null;
    if (e.event === 'fault' && /^byzantine/.test(e.fault) && e.node < N) byz[e.node] = true;
    if (e.line !== undefined) lines.set(e.line, (lines.get(e.line) || 0) + 1);
    if (e.keyStr !== null && e.keyStr !== '') {
      const k = keys.get(e.keyStr);
      if (k) k.count++;
      else keys.set(e.keyStr, { count: 1, first: i });
    }
    if (e.event === 'output') longestOutput = Math.max(longestOutput, width_of(`⇒ ${e.output}`));
  }
  let stepsMonotone = true;
  let timesMonotone = true;
  for (let i = 1; i < E.length; i++) {
    if (E[i].step < E[i - 1].step) stepsMonotone = false;
    if (E[i].t < E[i - 1].t) timesMonotone = false;
  }
  // Lanes are wide enough for the decided values (within reason).
  const LANE = Math.max(150, Math.min(360, Math.ceil(longestOutput) + 30));

  // ---- view state ----
  const state = {
    on: new Array(N).fill(true),
    line: '',
    key: '',
    self: false,
    minor: true, // timers and evidence
    collapsed: new Set(),
    cur: -1, // selected row
  };

  // ---- the page ----
  const $ = (id) => document.getElementById(id);
  const scroll = $('rio-scroll');
  const spacer = $('rio-spacer');
  const svg = $('rio-svg');
  const head = $('rio-head');
  const tip = $('rio-tip');
  const details = $('rio-details');
  const countEl = $('rio-count');

  function el(name, attrs, text) {
    const x = document.createElementNS(NS, name);
    for (const k in attrs) x.setAttribute(k, attrs[k]);
    if (text !== undefined) x.textContent = text;
    return x;
  }
  // The longest prefix of `s` that fits in `px` (whole characters, never
  // half a surrogate pair), with an ellipsis when cut.
  const fitted = new Map();
  function fit(s, px) {
    const key = px + '\u0000' + s;
    const hit = fitted.get(key);
    if (hit !== undefined) return hit;
    let out = s;
    if (width_of(s) > px) {
      const chars = Array.from(s);
      let lo = 0, hi = chars.length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (width_of(chars.slice(0, mid).join('') + '…') <= px) lo = mid;
        else hi = mid - 1;
      }
      out = chars.slice(0, lo).join('') + '…';
    }
    if (fitted.size > 20000) fitted.clear();
    fitted.set(key, out);
    return out;
  }

  // ---- filtering: the list of rows ----
  let rows = new Int32Array(0); // event index, or -1 - summary index
  let summaries = []; // {key, count, event}
  let sendRow = new Int32Array(0); // row an arrow starts at, or -1
  let longRows = []; // rows whose arrow spans more than LONG rows
  let pos = new Int32Array(N); // lane position of each node, -1 if hidden
  let lifelines = []; // per lane: [[from row, to row, byzantine], ...]

  function involved(e) {
    if (isMsg(e)) return [e.from, e.to];
    if (e.node !== undefined) return [e.node];
    return [];
  }
  function shown(e) {
    for (const k of involved(e)) if (!(k < N && state.on[k])) return false;
    if (isMsg(e) && e.from === e.to && !state.self) return false;
    if (!state.minor && ['timer', 'evidence', 'coin', 'choice'].includes(e.event)) return false;
    // Under a line or key filter, events that belong to no line (timers,
    // evidence) go too; faults and violations stay as context.
    const context = e.event === 'fault' || e.event === 'violation';
    if (state.line !== '' && !context && e.line !== state.line) return false;
    if (state.key !== '' && !context) {
      if (e.keyStr === null) return false;
      if (!(e.keyStr === state.key || e.keyStr.startsWith(state.key + ','))) return false;
    }
    return true;
  }
  function rowEvent(r) {
    const i = rows[r];
    return i >= 0 ? E[i] : E[summaries[-1 - i].event];
  }

  // The event at the top of the view, kept in view across a refilter.
  function topEvent() {
    if (rows.length === 0) return 0;
    const r = Math.min(rows.length - 1, Math.floor(scroll.scrollTop / ROW));
    return rows[r] >= 0 ? rows[r] : summaries[-1 - rows[r]].event;
  }

  function refilter() {
    const anchor = topEvent();
    const selected = state.cur >= 0 && state.cur < rows.length ? rowEvent(state.cur) : null;
    const out = [];
    summaries = [];
    const open = new Map(); // collapsed key -> summary index
    for (let i = 0; i < E.length; i++) {
      const e = E[i];
      if (!shown(e)) continue;
      if (isMsg(e) && e.keyStr !== null && state.collapsed.has(e.keyStr)) {
        const s = open.get(e.keyStr);
        if (s === undefined) {
          open.set(e.keyStr, summaries.length);
          out.push(-1 - summaries.length);
          summaries.push({ key: e.keyStr, count: 1, event: i });
        } else summaries[s].count++;
        continue;
      }
      out.push(i);
    }
    rows = Int32Array.from(out);
    let p = 0;
    pos = new Int32Array(N).fill(-1);
    for (let k = 0; k < N; k++) if (state.on[k]) pos[k] = p++;
    // Where each arrow starts: the first row of the step (or, without
    // steps, of the time) that sent it.
    sendRow = new Int32Array(rows.length).fill(-1);
    longRows = [];
    const firstAtLeast = (value, field) => {
      let lo = 0, hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (rowEvent(mid)[field] < value) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (let r = 0; r < rows.length; r++) {
      if (rows[r] < 0) continue;
      const e = E[rows[r]];
      if (!isMsg(e)) continue;
      let s = r;
      if (e.sent_step !== undefined && stepsMonotone) s = firstAtLeast(e.sent_step, 'step');
      else if (e.event === 'deliver' && timesMonotone) s = firstAtLeast(e.sent_at, 't');
      else if (e.event === 'drop' && e.sent_at !== undefined && timesMonotone) s = firstAtLeast(e.sent_at, 't');
      s = Math.min(s, r);
      sendRow[r] = s;
      if (r - s > LONG) longRows.push(r);
    }
    // Lifelines end at a crash and resume at a restart.
    lifelines = [];
    for (let k = 0; k < N; k++) lifelines.push([]);
    const start = new Array(N).fill(0);
    for (let r = 0; r < rows.length; r++) {
      const e = rowEvent(r);
      if (e.event !== 'fault' || e.node >= N) continue;
      if (e.fault === 'crash' && start[e.node] !== null) {
        lifelines[e.node].push([start[e.node], r]);
        start[e.node] = null;
      } else if (e.fault === 'restart' && start[e.node] === null) start[e.node] = r;
    }
    for (let k = 0; k < N; k++) if (start[k] !== null) lifelines[k].push([start[k], rows.length]);
    // Rows are in event order: find where the anchor (and the selected
    // event, if still shown) went.
    const rowOf = (i) => {
      let lo = 0, hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const m = rows[mid] >= 0 ? rows[mid] : summaries[-1 - rows[mid]].event;
        if (m < i) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    state.cur = -1;
    if (selected !== null) {
      const r = rowOf(E.indexOf(selected));
      if (r < rows.length && rowEvent(r) === selected) state.cur = r;
    }
    spacer.style.height = rows.length * ROW + 40 + 'px';
    scroll.scrollTop = Math.min(rowOf(anchor), Math.max(0, rows.length - 1)) * ROW;
    countEl.textContent = `${rows.length.toLocaleString('en')} rows of ${E.length.toLocaleString('en')} events`;
    layout();
  }

  const xOf = (k) => GUTTER + LANE / 2 + pos[k] * LANE;
  const yOf = (r) => r * ROW + ROW / 2;
  let width = 0;

  function layout() {
    const lanes = pos.reduce((a, p) => a + (p >= 0 ? 1 : 0), 0);
    // Room after the last lane for its labels.
    width = GUTTER + Math.max(1, lanes) * LANE + LANE / 2;
    spacer.style.height = rows.length * ROW + 40 + 'px';
    spacer.style.width = width + 'px';
    head.textContent = '';
    head.style.width = width + 'px';
    for (let k = 0; k < N; k++) {
      if (pos[k] < 0) continue;
      const d = document.createElement('div');
      d.className = 'lane-name' + (byz[k] ? ' byz' : '');
      d.style.left = xOf(k) - LANE / 2 + 'px';
      d.style.width = LANE + 'px';
      d.textContent = `node ${k}` + (byz[k] ? ' (Byzantine)' : '');
      head.appendChild(d);
    }
    render();
  }

  // ---- drawing the rows in view ----
  // Browsers fire scroll events at most once per frame, so the handlers
  // draw directly.

  function render() {
    head.style.transform = `translateX(${-scroll.scrollLeft}px)`;
    const a = Math.max(0, Math.floor(scroll.scrollTop / ROW) - 10);
    const b = Math.min(rows.length - 1, Math.ceil((scroll.scrollTop + scroll.clientHeight) / ROW) + 10);
    svg.textContent = '';
    const top = a * ROW;
    const height = Math.max(0, (b - a + 1) * ROW);
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 ${top} ${width} ${height}`);
    svg.style.top = top + 'px';
    const defs = el('defs', {});
    for (const [id, color] of [['arrow', '#334'], ['arrow-forged', '#c2410c']]) {
      const m = el('marker', { id, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      m.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }));
      defs.appendChild(m);
    }
    svg.appendChild(defs);
    const g = { back: el('g', {}), life: el('g', {}), arrows: el('g', {}), marks: el('g', {}), labels: el('g', {}) };
    for (const k in g) svg.appendChild(g[k]);
    if (b < a) return;
    // Selection and time axis.
    if (state.cur >= a && state.cur <= b) {
      g.back.appendChild(el('rect', { class: 'cur', x: 0, y: state.cur * ROW, width, height: ROW }));
    }
    let prevT = a > 0 ? rowEvent(a - 1).t : -1;
    for (let r = a; r <= b; r++) {
      const t = rowEvent(r).t;
      if (t !== prevT) {
        g.back.appendChild(el('line', { class: 'tick', x1: GUTTER - 6, x2: width, y1: r * ROW, y2: r * ROW }));
        g.labels.appendChild(el('text', { class: 'label time', x: 4, y: yOf(r) + 4 }, fit(`${t} ${data.unit}`, GUTTER - 10)));
      }
      prevT = t;
    }
    // Lifelines.
    for (let k = 0; k < N; k++) {
      if (pos[k] < 0) continue;
      for (const [s, e] of lifelines[k]) {
        if (e < a || s > b + 1) continue;
        const y1 = Math.max(s, a) * ROW, y2 = Math.min(e, b + 1) * ROW;
        g.life.appendChild(el('line', { class: 'life' + (byz[k] ? ' byz' : ''), x1: xOf(k), x2: xOf(k), y1, y2 }));
      }
    }
    // Arrows crossing the window: short ones found by row, long ones listed.
    const drawn = new Set();
    const arrow = (r) => {
      if (drawn.has(r)) return;
      drawn.add(r);
      const e = E[rows[r]];
      const x1 = xOf(e.from), x2 = xOf(e.to), y1 = yOf(sendRow[r]), y2 = yOf(r);
      const cls = 'msg' + (e.event === 'drop' ? ' drop' : '') + (e.forged ? ' forged' : byz[e.from] ? ' byz' : '');
      if (e.from === e.to) {
        const d = `M${x1},${y1} C${x1 + 40},${y1} ${x1 + 40},${y2} ${x1 + 4},${y2}`;
        g.arrows.appendChild(el('path', { class: cls, d, 'marker-end': e.event === 'drop' ? '' : `url(#${e.forged ? 'arrow-forged' : 'arrow'})` }));
      } else {
        const attrs = { class: cls, x1, y1, x2: x2 + (x2 > x1 ? -3 : 3), y2 };
        if (e.event !== 'drop') attrs['marker-end'] = `url(#${e.forged ? 'arrow-forged' : 'arrow'})`;
        g.arrows.appendChild(el('line', attrs));
      }
    };
    const last = Math.min(rows.length - 1, b + LONG);
    for (let r = a; r <= last; r++) if (sendRow[r] >= 0 && sendRow[r] <= b) arrow(r);
    for (const r of longRows) if (r >= a && sendRow[r] <= b) arrow(r);
    // The rows' own marks and labels.
    for (let r = a; r <= b; r++) {
      const i = rows[r];
      const y = yOf(r);
      if (i < 0) {
        const s = summaries[-1 - i];
        g.back.appendChild(el('rect', { class: 'summary', x: GUTTER, y: r * ROW + 1, width: width - GUTTER, height: ROW - 2, 'data-key': s.key }));
        g.labels.appendChild(el('text', { class: 'label summary-text', x: GUTTER + 6, y: y + 4, 'data-key': s.key }, fit(`▸ instance [${s.key}]: ${s.count} messages collapsed (click to expand)`, width - GUTTER - 12)));
        continue;
      }
      const e = E[i];
      const room = LANE - 18;
      const label = (k, text, cls) => {
        g.labels.appendChild(el('text', { class: 'label ' + cls, x: xOf(k) + 9, y: y + 4, 'data-row': r }, fit(text, room)));
      };
      switch (e.event) {
        case 'deliver':
          label(e.to, e.msg, e.forged ? 'forged' : byz[e.from] ? 'byz' : 'msg');
          break;
        case 'drop':
          g.marks.appendChild(el('text', { class: 'cross', x: xOf(e.to), y: y + 4 }, '✕'));
          label(e.to, `${e.msg} (${e.reason})`, 'dropped');
          break;
        case 'output':
          g.marks.appendChild(el('circle', { class: 'out', cx: xOf(e.node), cy: y, r: 5 }));
          label(e.node, `⇒ ${e.output}`, 'output');
          break;
        case 'input':
          g.marks.appendChild(el('path', { class: 'in', d: `M${xOf(e.node) - 5},${y - 5} L${xOf(e.node) + 5},${y} L${xOf(e.node) - 5},${y + 5} z` }));
          label(e.node, `input ${e.input}`, 'input');
          break;
        case 'timer':
          g.marks.appendChild(el('circle', { class: 'timer', cx: xOf(e.node), cy: y, r: 4 }));
          label(e.node, `timer ${e.id}`, 'minor');
          break;
        case 'choice':
          g.marks.appendChild(el('circle', { class: 'choice', cx: xOf(e.node), cy: y, r: 3 }));
          label(e.node, `choice ${e.point}: option ${e.option}`, 'minor');
          break;
        case 'coin':
          g.marks.appendChild(el('circle', { class: 'coin', cx: xOf(e.node), cy: y, r: 4 }));
          label(e.node, `coin ${e.coin} = ${e.value}`, 'minor');
          break;
        case 'evidence':
          g.marks.appendChild(el('circle', { class: 'evidence', cx: xOf(e.node), cy: y, r: 3 }));
          label(e.node, `evidence against ${e.peer}: ${e.line}`, 'minor');
          break;
        case 'fault':
          if (e.fault === 'crash' || e.fault === 'restart') {
            g.marks.appendChild(el('text', { class: 'fault-mark', x: xOf(e.node), y: y + 5 }, e.fault === 'crash' ? '✖' : '↻'));
          } else {
            g.marks.appendChild(el('text', { class: 'byz-mark', x: xOf(e.node), y: y + 5 }, '⚠'));
          }
          label(e.node, e.fault, 'fault');
          break;
        case 'violation':
          g.back.appendChild(el('line', { class: 'violation', x1: GUTTER, x2: width, y1: y, y2: y }));
          g.labels.appendChild(el('text', { class: 'label violation-text', x: GUTTER + 6, y: y + 4, 'data-row': r }, fit(`violation of ${e.property}: ${e.detail}`, width - GUTTER - 12)));
          break;
      }
    }
  }

  // ---- descriptions (tooltip and details) ----
  function describe(r) {
    const i = rows[r];
    if (i < 0) {
      const s = summaries[-1 - i];
      return `instance [${s.key}]: ${s.count} messages collapsed\nclick to expand`;
    }
    const e = E[i];
    const parts = [`${e.event} · step ${e.step} · t ${e.t} ${data.unit}`];
    switch (e.event) {
      case 'deliver':
      case 'drop':
        parts.push(`node ${e.from} → node ${e.to}` + (e.event === 'drop' ? ` (dropped: ${e.reason})` : ''));
        if (e.sent_step !== undefined) parts.push(`sent at step ${e.sent_step}`);
        else if (e.sent_at !== undefined) parts.push(`sent at t ${e.sent_at}`);
        if (e.forged) parts.push('FORGED by a Byzantine sender');
        else if (byz[e.from]) parts.push('from a Byzantine node');
        if (e.line !== undefined) parts.push(`line ${e.line}` + (e.keyStr ? ` [${e.keyStr}]` : ''));
        parts.push(e.msg);
        if (e.value !== undefined) parts.push(JSON.stringify(e.value, null, 2));
        break;
      case 'output':
        parts.push(`node ${e.node} outputs` + (e.line !== undefined ? ` on ${e.line}` + (e.keyStr ? ` [${e.keyStr}]` : '') : ''));
        parts.push(e.output);
        if (e.value !== undefined) parts.push(JSON.stringify(e.value, null, 2));
        break;
      case 'input':
        parts.push(`node ${e.node} gets input`, e.input);
        if (e.value !== undefined) parts.push(JSON.stringify(e.value, null, 2));
        break;
      case 'timer':
        parts.push(`node ${e.node}: timer ${e.id} fires`);
        break;
      case 'choice':
        parts.push(`node ${e.node} chooses option ${e.option} at ${e.point}`);
        break;
      case 'coin':
        parts.push(`node ${e.node} flips coin ${e.coin}: ${e.value}`);
        break;
      case 'evidence':
        parts.push(`node ${e.node} records evidence against node ${e.peer} on ${e.line}`);
        break;
      case 'fault':
        parts.push(`node ${e.node}: ${e.fault}`);
        break;
      case 'violation':
        parts.push(`violation of ${e.property}`, e.detail);
        break;
    }
    return parts.join('\n');
  }

  function rowAt(ev) {
    const box = scroll.getBoundingClientRect();
    const r = Math.floor((ev.clientY - box.top + scroll.scrollTop) / ROW);
    return r >= 0 && r < rows.length ? r : -1;
  }

  function select(r) {
    if (rows.length === 0) return;
    state.cur = Math.max(0, Math.min(rows.length - 1, r));
    const y = state.cur * ROW;
    if (y < scroll.scrollTop || y + ROW > scroll.scrollTop + scroll.clientHeight) {
      scroll.scrollTop = Math.max(0, y - scroll.clientHeight / 2);
    }
    details.textContent = describe(state.cur);
    render();
  }

  // ---- controls ----
  function controls() {
    const nodesEl = $('rio-nodes');
    for (let k = 0; k < N; k++) {
      const l = document.createElement('label');
      const c = document.createElement('input');
      c.type = 'checkbox';
      c.checked = true;
      c.dataset.node = k;
      c.addEventListener('change', () => {
        state.on[k] = c.checked;
        refilter();
      });
      l.appendChild(c);
      l.appendChild(document.createTextNode(` ${k}`));
      if (byz[k]) l.className = 'byz';
      nodesEl.appendChild(l);
    }
    const lineEl = $('rio-line');
    for (const [name, count] of [...lines.entries()].sort()) {
      const o = document.createElement('option');
      o.value = name;
      o.textContent = `${name} (${count})`;
      lineEl.appendChild(o);
    }
    lineEl.addEventListener('change', () => {
      state.line = lineEl.value;
      refilter();
    });
    const keyEl = $('rio-key');
    keyEl.addEventListener('input', () => {
      state.key = keyEl.value.trim().replace(/[\[\]\s]/g, '');
      refilter();
    });
    $('rio-self').addEventListener('change', (ev) => {
      state.self = ev.target.checked;
      refilter();
    });
    $('rio-minor').addEventListener('change', (ev) => {
      state.minor = ev.target.checked;
      refilter();
    });
    const list = $('rio-keys');
    const sorted = [...keys.entries()].sort((x, y) => x[1].first - y[1].first);
    for (const [key, info] of sorted.slice(0, MAX_KEYS)) {
      const l = document.createElement('label');
      const c = document.createElement('input');
      c.type = 'checkbox';
      c.dataset.key = key;
      c.addEventListener('change', () => {
        if (c.checked) state.collapsed.add(key);
        else state.collapsed.delete(key);
        refilter();
      });
      l.appendChild(c);
      l.appendChild(document.createTextNode(` [${key}] ${info.count}`));
      list.appendChild(l);
    }
    if (sorted.length > MAX_KEYS) {
      const more = document.createElement('div');
      more.textContent = `… ${sorted.length - MAX_KEYS} more (collapse all reaches them)`;
      list.appendChild(more);
    }
    $('rio-collapse-all').addEventListener('click', () => {
      for (const k of keys.keys()) state.collapsed.add(k);
      for (const c of list.querySelectorAll('input')) c.checked = true;
      refilter();
    });
    $('rio-expand-all').addEventListener('click', () => {
      state.collapsed.clear();
      for (const c of list.querySelectorAll('input')) c.checked = false;
      refilter();
    });
    $('rio-prev').addEventListener('click', () => select(state.cur - 1));
    $('rio-next').addEventListener('click', () => select(state.cur + 1));
    document.addEventListener('keydown', (ev) => {
      if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
      if (ev.key === 'ArrowDown' || ev.key === 'j') select(state.cur + 1);
      else if (ev.key === 'ArrowUp' || ev.key === 'k') select(state.cur - 1);
      else return;
      ev.preventDefault();
    });
    scroll.addEventListener('scroll', render);
    window.addEventListener('resize', render);
    svg.addEventListener('mousemove', (ev) => {
      const r = rowAt(ev);
      if (r < 0) {
        tip.style.display = 'none';
        return;
      }
      tip.textContent = describe(r);
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
      tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 8) + 'px';
    });
    svg.addEventListener('mouseleave', () => (tip.style.display = 'none'));
    svg.addEventListener('click', (ev) => {
      const key = ev.target.getAttribute && ev.target.getAttribute('data-key');
      if (key !== null && key !== undefined && state.collapsed.has(key)) {
        state.collapsed.delete(key);
        const c = list.querySelector(`input[data-key="${CSS.escape(key)}"]`);
        if (c) c.checked = false;
        refilter();
        return;
      }
      const r = rowAt(ev);
      if (r >= 0) select(r);
    });
  }

  controls();
  refilter();
  // For benchmarks and scripted checks: redraw and refilter on demand, the
  // number of rows shown, and when the first drawing was done (ms since the
  // page started loading).
  window.rioViewer = { render, refilter, rows: () => rows.length, ready: performance.now() };
})();

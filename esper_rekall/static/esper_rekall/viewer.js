/* esper_rekall result viewer: hydrates the markup of esper_rekall.viewer.render.
 *
 * Each .er-viewer holds its page data in <script type="application/json"
 * class="er-page-data"> (see esper_rekall.viewer.pages: each interval's
 * temporal bounds, once, delta-encoded). This script decodes the bounds and
 * draws each video's timeline on its <canvas> with a time axis under it
 * (m:ss from the video's fps, clock time for date domains), then adds:
 * hover a segment for its bounds and payload; click it (the nearest segment
 * under the pointer) to select it; j/k or arrow keys for the next/previous
 * interval; +/- to zoom the current timeline around the selection, 0 to
 * reset; n/p or PageDown/PageUp for the next/previous page (fetched from
 * data-page-url, whose JSON carries the page re-rendered by the server, so
 * there is one renderer). An interval's details (payload, boxes) are
 * fetched on demand from the page's detail_url (or read from the page data
 * of an in-memory collection) and cached; the selected interval's labelled
 * boxes are drawn on the 16:9 frame panel, its nested sets shown as a table,
 * and the video plays the interval (seek to t1/fps, pause at t2/fps) when it
 * has a playable src. Vanilla JS, no build step; safe to load twice.
 */
(function () {
  "use strict";
  if (window.EsperRekallViewer) {
    window.EsperRekallViewer.hydrateAll();
    return;
  }

  var active = null; // the viewer that document-wide keys drive
  var NICE_SECONDS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  var MIN_SEGMENT_PX = 2; // a segment is drawn (and clickable) at least this wide
  var PICK_SLOP_PX = 3;
  var ZOOM_STEP = 4;
  var TABLE_ROWS = 50;
  var TICK_LABEL_PX = 30;

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) s = "0" + s;
    return s;
  }

  function round(x, decimals) {
    return Number(x.toFixed(Math.min(Math.max(decimals, 0), 12)));
  }

  function decimalsOf(scale) {
    return Math.round(Math.log(scale) / Math.LN10);
  }

  /* m:ss (h:mm:ss past an hour), with tenths/hundredths when asked. */
  function formatSeconds(s, decimals) {
    var sign = s < 0 ? "-" : "";
    s = Math.abs(s);
    var whole = Math.floor(round(s, decimals || 0));
    var frac = round(s - whole, decimals || 0);
    var h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), sec = whole % 60;
    var text = (h ? h + ":" + pad(m, 2) : String(m)) + ":" + pad(sec, 2);
    if (decimals && frac > 0) text += "." + pad(Math.round(frac * Math.pow(10, decimals)), decimals);
    return sign + text;
  }

  /* HH:MM (HH:MM:SS when seconds matter) of seconds since midnight; +Nd past it. */
  function formatClock(s, withSeconds) {
    var whole = Math.floor(s);
    var days = Math.floor(whole / 86400), rest = whole - days * 86400;
    var text = pad(Math.floor(rest / 3600), 2) + ":" + pad(Math.floor((rest % 3600) / 60), 2);
    if (withSeconds) text += ":" + pad(rest % 60, 2);
    return (days ? "+" + days + "d " : "") + text;
  }

  function niceStep(raw, candidates) {
    for (var c = 0; c < candidates.length; c++) if (candidates[c] >= raw) return candidates[c];
    return candidates[candidates.length - 1] * Math.ceil(raw / candidates[candidates.length - 1]);
  }

  function decimalStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  /* Ticks [[t, label], ...] over [lo, hi] for a timeline about `px` pixels wide. */
  function ticks(video, lo, hi, px) {
    var count = Math.max(2, Math.floor(px / 90)), out = [], step, label;
    if (video.unit === "frames" || video.unit === "clock") {
      var perT = video.unit === "frames" ? 1 / video.fps : 1; // seconds per t unit
      var stepSeconds = niceStep(((hi - lo) * perT) / count, NICE_SECONDS);
      step = stepSeconds / perT;
      label = video.unit === "frames"
        ? function (t) { return formatSeconds(t * perT, stepSeconds < 1 ? 1 : 0); }
        : function (t) { return formatClock(t, stepSeconds < 60); };
    } else {
      step = decimalStep((hi - lo) / count);
      label = function (t) { return String(round(t, 6)); };
    }
    for (var t = Math.ceil(lo / step) * step, n = 0; t <= hi + 1e-9 && n < 200; t += step, n++) {
      out.push([t, label(t)]);
    }
    return out;
  }

  /* The bounds of one timeline, decoded (see esper_rekall.viewer.pages.encode_times). */
  function decodeTimes(video) {
    var n = video.n || 0, t1 = new Float64Array(n), t2 = new Float64Array(n), q = 0;
    var uniform = typeof video.dur === "number";
    for (var i = 0; i < n; i++) {
      q += video.t1[i];
      t1[i] = q / video.s1;
      t2[i] = t1[i] + (uniform ? video.dur : video.dur[i]) / video.s2;
    }
    video.times = { t1: t1, t2: t2, decimals: Math.max(decimalsOf(video.s1), decimalsOf(video.s2)) };
  }

  function boundsText(video, i) {
    var d = video.times.decimals, a = round(video.times.t1[i], d), b = round(video.times.t2[i], d);
    if (video.unit === "frames") {
      return "frames " + a + "–" + b + " · " + formatSeconds(a / video.fps, 2) + "–" + formatSeconds(b / video.fps, 2);
    }
    if (video.unit === "clock") return "t " + a + "–" + b + " s · " + formatClock(a, true) + "–" + formatClock(b, true);
    return "t = [" + a + ", " + b + "]";
  }

  function shortJSON(value, limit) {
    var text = JSON.stringify(value);
    if (text === undefined) text = String(value);
    return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
  }

  function isIntervalList(value) {
    return Array.isArray(value) && value.length > 0 && value[0] && typeof value[0] === "object" && "t" in value[0];
  }

  /* A one-line payload summary: nested sets by their size and their members' labels. */
  function payloadSummary(detail) {
    var payload = detail.payload;
    if (!isIntervalList(payload)) return shortJSON(payload, 160);
    var labels = (detail.boxes || []).map(function (b) { return b[4]; }).filter(function (l) { return l !== null && l !== undefined; });
    var count = payload.filter(function (item) { return typeof item === "object"; }).length;
    return count + " nested interval" + (count === 1 ? "" : "s") + (labels.length ? ": " + shortJSON(labels.slice(0, 8).join(", "), 120).replace(/^"|"$/g, "") : "");
  }

  function Viewer(root) {
    this.root = root;
    this.data = JSON.parse(root.querySelector("script.er-page-data").textContent);
    this.order = []; // [videoIndex, intervalIndex] in page order
    var videos = this.data.videos || [];
    for (var v = 0; v < videos.length; v++) {
      decodeTimes(videos[v]);
      videos[v].view = videos[v].span.slice();
      for (var i = 0; i < videos[v].n; i++) this.order.push([v, i]);
    }
    this.details = {}; // "v:i" -> detail, or a pending Promise
    this.current = -1;
    this.player = root.querySelector(".er-player");
    this.noFile = root.querySelector(".er-nofile");
    this.boxes = root.querySelector(".er-boxes");
    this.info = root.querySelector(".er-info");
    this.tip = root.querySelector(".er-tip");
    this.stopAt = null;
    var self = this;
    this.drawAll();
    root.addEventListener("click", function (e) {
      var canvas = e.target.closest(".er-canvas");
      if (canvas) {
        var v = +canvas.dataset.v, i = self.pick(v, e.clientX);
        if (i >= 0) self.selectInterval(v, i);
        return;
      }
      var link = e.target.closest("a[data-page]");
      if (link && self.data.page_url) {
        e.preventDefault();
        self.goToPage(+link.dataset.page);
      }
    });
    root.addEventListener("mousemove", function (e) {
      var canvas = e.target.closest && e.target.closest(".er-canvas");
      if (!canvas) return self.hideTip();
      var v = +canvas.dataset.v, i = self.pick(v, e.clientX);
      if (i < 0) return self.hideTip();
      self.showTip(v, i, e.clientX, e.clientY);
    });
    root.addEventListener("mouseleave", function () { self.hideTip(); });
    root.addEventListener("focus", function () { active = self; });
    root.addEventListener("mousedown", function () { active = self; });
    root.addEventListener("keydown", function (e) {
      // In a notebook, keep the keys from the notebook's own shortcuts.
      if (!root.dataset.globalKeys && self.onKey(e)) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    window.addEventListener("resize", function () { if (document.body.contains(root)) self.drawAll(); });
    // Stop at the interval's end: timeupdate fires only every ~250 ms, so a
    // timer set when playback starts does the precise stop.
    var stopIfDone = function () {
      if (self.stopAt !== null && self.player.currentTime >= self.stopAt - 0.02) {
        self.player.pause();
        self.stopAt = null;
      }
    };
    this.player.addEventListener("timeupdate", stopIfDone);
    this.player.addEventListener("playing", function () {
      clearTimeout(self.stopTimer);
      if (self.stopAt === null) return;
      var wait = (self.stopAt - self.player.currentTime) / (self.player.playbackRate || 1);
      self.stopTimer = setTimeout(stopIfDone, Math.max(wait, 0) * 1000);
    });
    this.player.addEventListener("seeked", function () {
      root.dataset.seekedAt = String(self.player.currentTime);
    });
    root.dataset.erHydrated = "1";
    root.erViewer = this;
  }

  Viewer.prototype.canvas = function (v) {
    return this.root.querySelector('.er-canvas[data-v="' + v + '"]');
  };

  Viewer.prototype.drawAll = function () {
    for (var v = 0; v < (this.data.videos || []).length; v++) this.draw(v);
  };

  /* One timeline: a rectangle per interval (at least MIN_SEGMENT_PX wide), the selection on top, and its axis. */
  Viewer.prototype.draw = function (v) {
    var canvas = this.canvas(v), video = this.data.videos[v];
    if (!canvas) return;
    var ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 600, height = canvas.clientHeight || 18;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    var lo = video.view[0], scale = width / Math.max(video.view[1] - lo, 1e-12);
    var t1 = video.times.t1, t2 = video.times.t2, selected = -1;
    if (this.current >= 0 && this.order[this.current][0] === v) selected = this.order[this.current][1];
    ctx.fillStyle = "#3a7bd5";
    var runStart = -1, runEnd = -1;
    for (var i = 0; i < video.n; i++) {
      var x0 = (t1[i] - lo) * scale, x1 = Math.max((t2[i] - lo) * scale, x0 + MIN_SEGMENT_PX);
      if (x1 < 0 || x0 > width) continue;
      if (x0 <= runEnd + 0.5) { runEnd = Math.max(runEnd, x1); continue; } // merge what touches at this zoom
      if (runEnd >= 0) ctx.fillRect(runStart, 3, runEnd - runStart, height - 6);
      runStart = x0; runEnd = x1;
    }
    if (runEnd >= 0) ctx.fillRect(runStart, 3, runEnd - runStart, height - 6);
    if (selected >= 0) {
      var s0 = (t1[selected] - lo) * scale, s1 = Math.max((t2[selected] - lo) * scale, s0 + MIN_SEGMENT_PX);
      ctx.fillStyle = "#e8590c";
      ctx.fillRect(s0, 0, s1 - s0, height);
    }
    this.drawAxis(v, width);
  };

  Viewer.prototype.drawAxis = function (v, width) {
    var axis = this.root.querySelector('.er-axis[data-v="' + v + '"]'), video = this.data.videos[v];
    if (!axis) return;
    var lo = video.view[0], hi = video.view[1], marks = ticks(video, lo, hi, width);
    axis.textContent = "";
    for (var k = 0; k < marks.length; k++) {
      if (((marks[k][0] - lo) / (hi - lo)) * width > width - TICK_LABEL_PX) continue; // its label would be cut off
      var tick = document.createElement("span");
      tick.className = "er-tick";
      tick.style.left = ((marks[k][0] - lo) / (hi - lo)) * 100 + "%";
      tick.textContent = marks[k][1];
      axis.appendChild(tick);
    }
    axis.dataset.zoomed = video.view[0] !== video.span[0] || video.view[1] !== video.span[1] ? "1" : "";
  };

  /* The interval of video v under the pointer: one whose drawn span holds x (nearest centre first), else the nearest within a few pixels. */
  Viewer.prototype.pick = function (v, clientX) {
    var canvas = this.canvas(v), video = this.data.videos[v], rect = canvas.getBoundingClientRect();
    var x = clientX - rect.left, lo = video.view[0], scale = rect.width / Math.max(video.view[1] - lo, 1e-12);
    var best = -1, bestDistance = Infinity, t1 = video.times.t1, t2 = video.times.t2;
    for (var i = 0; i < video.n; i++) {
      var x0 = (t1[i] - lo) * scale, x1 = Math.max((t2[i] - lo) * scale, x0 + MIN_SEGMENT_PX);
      var outside = x < x0 ? x0 - x : x > x1 ? x - x1 : 0;
      if (outside > PICK_SLOP_PX) continue;
      var distance = outside * 1000 + Math.abs(x - (x0 + x1) / 2);
      if (distance < bestDistance) { best = i; bestDistance = distance; }
    }
    return best;
  };

  /* The detail of interval i of video v: a Promise, fetched once. */
  Viewer.prototype.detail = function (v, i) {
    var key = v + ":" + i, video = this.data.videos[v], self = this;
    if (this.details[key]) return this.details[key];
    var promise;
    if (video.details) {
      promise = Promise.resolve(video.details[i]);
    } else if (this.data.detail_url) {
      var url = this.data.detail_url + (this.data.detail_url.indexOf("?") < 0 ? "?" : "&") +
        "key=" + encodeURIComponent(video.key) + "&i=" + i;
      promise = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
      promise.catch(function () { delete self.details[key]; });
    } else {
      promise = Promise.resolve(null);
    }
    promise.then(function (d) { promise.value = d; });
    this.details[key] = promise;
    return promise;
  };

  Viewer.prototype.showTip = function (v, i, clientX, clientY) {
    var video = this.data.videos[v], tip = this.tip, self = this, key = v + ":" + i;
    var fill = function () {
      var cached = self.details[key] && self.details[key].value;
      tip.textContent = boundsText(video, i) + (cached ? "  payload: " + payloadSummary(cached) : "");
    };
    fill();
    var box = this.root.getBoundingClientRect();
    tip.style.left = Math.min(clientX - box.left + 12, box.width - 320) + "px";
    tip.style.top = clientY - box.top + 16 + "px";
    tip.hidden = false;
    tip.dataset.at = key;
    clearTimeout(this.tipTimer);
    this.tipTimer = setTimeout(function () {
      self.detail(v, i).then(function () { if (tip.dataset.at === key && !tip.hidden) fill(); }, function () {});
    }, 120);
  };

  Viewer.prototype.hideTip = function () {
    clearTimeout(this.tipTimer);
    this.tip.hidden = true;
  };

  Viewer.prototype.selectInterval = function (v, i) {
    for (var k = 0; k < this.order.length; k++) {
      if (this.order[k][0] === v && this.order[k][1] === i) return this.select(k);
    }
  };

  Viewer.prototype.select = function (k) {
    if (k < 0 || k >= this.order.length) return;
    var previous = this.current >= 0 ? this.order[this.current][0] : -1;
    var prevVideo = this.root.querySelector(".er-video.er-current");
    if (prevVideo) prevVideo.classList.remove("er-current");
    this.current = k;
    var v = this.order[k][0], i = this.order[k][1], video = this.data.videos[v], self = this;
    var timeline = video.times;
    if (timeline.t2[i] < video.view[0] || timeline.t1[i] > video.view[1]) this.zoomTo(v, i, video.view[1] - video.view[0]);
    if (previous >= 0 && previous !== v) this.draw(previous);
    this.draw(v);
    var row = this.root.querySelector('.er-video[data-v="' + v + '"]');
    row.classList.add("er-current");
    if (row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
    this.root.dataset.selected = v + ":" + i;
    this.root.dataset.detailFor = "";
    this.boxes.textContent = "";
    this.showInfo(video, i, null);
    this.play(video, i);
    this.detail(v, i).then(function (d) {
      if (self.current !== k) return;
      self.drawBoxes((d && d.boxes) || []);
      self.showInfo(video, i, d);
      self.root.dataset.detailFor = v + ":" + i;
    }, function (error) {
      if (self.current === k) self.info.appendChild(document.createTextNode(" (details unavailable: " + error.message + ")"));
    });
  };

  Viewer.prototype.drawBoxes = function (boxes) {
    this.boxes.textContent = "";
    for (var b = 0; b < boxes.length; b++) {
      var box = boxes[b], el = document.createElement("div");
      el.className = "er-box";
      el.style.left = box[0] * 100 + "%";
      el.style.top = box[1] * 100 + "%";
      el.style.width = (box[2] - box[0]) * 100 + "%";
      el.style.height = (box[3] - box[1]) * 100 + "%";
      if (box[4] !== null && box[4] !== undefined) {
        var label = document.createElement("span");
        label.className = "er-box-label";
        label.textContent = box[4];
        el.appendChild(label);
      }
      this.boxes.appendChild(el);
    }
  };

  /* A nested set as a small table: t, x, y, payload per member. */
  function intervalTable(items) {
    var table = document.createElement("table"), head = table.createTHead().insertRow();
    ["t", "x", "y", "payload"].forEach(function (name) {
      var th = document.createElement("th");
      th.textContent = name;
      head.appendChild(th);
    });
    var body = table.createTBody();
    for (var r = 0; r < Math.min(items.length, TABLE_ROWS); r++) {
      var item = items[r], tr = body.insertRow();
      if (typeof item !== "object") { tr.insertCell().textContent = String(item); continue; }
      [item.t, item.x, item.y].forEach(function (pair) {
        tr.insertCell().textContent = pair.map(function (n) { return typeof n === "number" ? round(n, 4) : n; }).join(" – ");
      });
      tr.insertCell().textContent = isIntervalList(item.payload) ? item.payload.length + " intervals" : shortJSON(item.payload, 80);
    }
    if (items.length > TABLE_ROWS) body.insertRow().insertCell().textContent = "… " + (items.length - TABLE_ROWS) + " more";
    table.className = "er-table";
    return table;
  }

  Viewer.prototype.showInfo = function (video, i, detail) {
    var head = document.createElement("div");
    var text = video.label + " · " + boundsText(video, i) + " · interval " + (this.current + 1) + " of " + this.order.length + " on this page";
    head.textContent = text;
    this.info.textContent = "";
    this.info.appendChild(head);
    if (!detail) return;
    var exact = document.createElement("div");
    exact.className = "er-exact";
    exact.textContent = "t = [" + detail.t.join(", ") + "]  x = [" + detail.x.join(", ") + "]  y = [" + detail.y.join(", ") + "]" +
      (detail.time ? "  (" + detail.time + ")" : "");
    this.info.appendChild(exact);
    var payload = detail.payload;
    if (isIntervalList(payload)) {
      var caption = document.createElement("div");
      caption.textContent = "payload: " + payload.length + (typeof payload[payload.length - 1] === "string" ? "+" : "") + " nested intervals";
      this.info.appendChild(caption);
      this.info.appendChild(intervalTable(payload));
    } else {
      var pre = document.createElement("pre");
      pre.textContent = "payload: " + shortJSON(payload, 4000);
      this.info.appendChild(pre);
    }
  };

  Viewer.prototype.play = function (video, i) {
    var player = this.player;
    this.noFile.hidden = !!video.src;
    if (!video.src || !video.fps) {
      player.hidden = true;
      if (!player.paused) player.pause();
      return;
    }
    player.hidden = false;
    var start = video.times.t1[i] / video.fps, stop = video.times.t2[i] / video.fps;
    this.root.dataset.seekTarget = String(start);
    this.stopAt = stop > start ? stop : null;
    var seek = function () {
      player.currentTime = start;
      var playing = player.play();
      if (playing && playing.catch) playing.catch(function () {});
    };
    if (player.dataset.src !== video.src) {
      player.dataset.src = video.src;
      player.preload = "auto";
      player.src = video.src;
      player.addEventListener("loadedmetadata", seek, { once: true });
      player.load();
    } else if (player.readyState >= 1) {
      seek();
    } else {
      player.addEventListener("loadedmetadata", seek, { once: true });
    }
  };

  /* Show `width` t units of video v's timeline centred on interval i (clamped to its span). */
  Viewer.prototype.zoomTo = function (v, i, width) {
    var video = this.data.videos[v], span = video.span, full = span[1] - span[0];
    width = Math.min(Math.max(width, 1e-6), full);
    var centre = i >= 0 ? (video.times.t1[i] + video.times.t2[i]) / 2 : (video.view[0] + video.view[1]) / 2;
    var lo = Math.min(Math.max(centre - width / 2, span[0]), span[1] - width);
    video.view = [lo, lo + width];
  };

  Viewer.prototype.zoom = function (factor) {
    if (this.current < 0) return;
    var v = this.order[this.current][0], i = this.order[this.current][1], video = this.data.videos[v];
    if (factor === 0) video.view = video.span.slice();
    else this.zoomTo(v, i, (video.view[1] - video.view[0]) / factor);
    this.root.dataset.zoom = String(round((video.span[1] - video.span[0]) / (video.view[1] - video.view[0]), 3));
    this.draw(v);
  };

  Viewer.prototype.goToPage = function (page) {
    var data = this.data;
    if (page < 1 || (data.num_pages && page > data.num_pages)) return;
    if (page > data.page && !data.has_next) return;
    if (!data.page_url) return;
    var self = this, url = data.page_url + (data.page_url.indexOf("?") < 0 ? "?" : "&") + "page=" + page + "&html=1";
    var started = window.performance ? performance.now() : 0;
    this.root.classList.add("er-loading");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (json) {
        var holder = document.createElement("div");
        holder.innerHTML = json.html;
        var fresh = holder.querySelector(".er-viewer");
        if (self.root.dataset.globalKeys) fresh.dataset.globalKeys = "1";
        self.root.replaceWith(fresh);
        var viewer = new Viewer(fresh);
        if (active === self) active = viewer;
        if (self.root.dataset.globalKeys && window.history && history.replaceState) {
          history.replaceState(null, "", "?page=" + page);
        }
        viewer.select(0);
        // How long the page took to come (fetch, swap, draw): the browser tests read it.
        if (window.performance) fresh.dataset.loadedInMs = String(Math.round(performance.now() - started));
      })
      .catch(function () {
        self.root.classList.remove("er-loading");
      });
  };

  Viewer.prototype.onKey = function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return false;
    switch (e.key) {
      case "j": case "ArrowRight": case "ArrowDown":
        this.select(this.current < 0 ? 0 : Math.min(this.current + 1, this.order.length - 1));
        return true;
      case "k": case "ArrowLeft": case "ArrowUp":
        this.select(this.current < 0 ? 0 : Math.max(this.current - 1, 0));
        return true;
      case "+": case "=":
        this.zoom(ZOOM_STEP);
        return true;
      case "-":
        this.zoom(1 / ZOOM_STEP);
        return true;
      case "0":
        this.zoom(0);
        return true;
      case "n": case "PageDown":
        this.goToPage(this.data.page + 1);
        return true;
      case "p": case "PageUp":
        this.goToPage(this.data.page - 1);
        return true;
    }
    return false;
  };

  function hydrate(root) {
    if (root.dataset.erHydrated) return root.erViewer;
    var viewer = new Viewer(root);
    if (root.dataset.globalKeys && !active) active = viewer;
    return viewer;
  }

  function hydrateAll() {
    var roots = document.querySelectorAll(".er-viewer");
    for (var r = 0; r < roots.length; r++) hydrate(roots[r]);
  }

  document.addEventListener("keydown", function (e) {
    if (!active || !document.body.contains(active.root) || !active.root.dataset.globalKeys) return;
    if (active.onKey(e)) e.preventDefault();
  });

  window.EsperRekallViewer = { hydrate: hydrate, hydrateAll: hydrateAll, ticks: ticks, formatSeconds: formatSeconds };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hydrateAll);
  else hydrateAll();
})();

/* esper_rekall result viewer: hydrates the markup of esper_rekall.viewer.render.
 *
 * Each .er-viewer holds its page data in <script type="application/json"
 * class="er-page-data">. This script adds: click a segment to select its
 * interval; j/k or arrow keys for the next/previous interval; n/p or
 * PageDown/PageUp for the next/previous page (fetched from data-page-url,
 * whose JSON carries the page re-rendered by the server, so there is one
 * renderer); the selected interval's boxes on the 16:9 frame panel; and
 * playback of the interval (seek to t1/fps, pause at t2/fps) when the video
 * has a playable src. Vanilla JS, no build step; safe to load twice.
 */
(function () {
  "use strict";
  if (window.EsperRekallViewer) {
    window.EsperRekallViewer.hydrateAll();
    return;
  }

  var active = null; // the viewer that document-wide keys drive

  function text(value) {
    return JSON.stringify(value, null, 1);
  }

  function Viewer(root) {
    this.root = root;
    this.data = JSON.parse(root.querySelector("script.er-page-data").textContent);
    this.order = []; // [videoIndex, intervalIndex] in page order
    var videos = this.data.videos || [];
    for (var v = 0; v < videos.length; v++) {
      for (var i = 0; i < videos[v].intervals.length; i++) this.order.push([v, i]);
    }
    this.current = -1;
    this.player = root.querySelector(".er-player");
    this.boxes = root.querySelector(".er-boxes");
    this.info = root.querySelector(".er-info");
    this.stopAt = null;
    var self = this;
    root.addEventListener("click", function (e) {
      var seg = e.target.closest(".er-seg");
      if (seg) {
        self.selectSegment(+seg.dataset.v, +seg.dataset.i);
        return;
      }
      var link = e.target.closest("a[data-page]");
      if (link && self.data.page_url) {
        e.preventDefault();
        self.goToPage(+link.dataset.page);
      }
    });
    root.addEventListener("focus", function () { active = self; });
    root.addEventListener("mousedown", function () { active = self; });
    root.addEventListener("keydown", function (e) {
      // In a notebook, keep the keys from the notebook's own shortcuts.
      if (!root.dataset.globalKeys && self.onKey(e)) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
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

  Viewer.prototype.selectSegment = function (v, i) {
    for (var k = 0; k < this.order.length; k++) {
      if (this.order[k][0] === v && this.order[k][1] === i) return this.select(k);
    }
  };

  Viewer.prototype.select = function (k) {
    if (k < 0 || k >= this.order.length) return;
    var prev = this.root.querySelector(".er-seg.er-selected");
    if (prev) prev.classList.remove("er-selected");
    var prevVideo = this.root.querySelector(".er-video.er-current");
    if (prevVideo) prevVideo.classList.remove("er-current");
    this.current = k;
    var v = this.order[k][0], i = this.order[k][1];
    var video = this.data.videos[v], interval = video.intervals[i];
    var seg = this.root.querySelector('.er-seg[data-v="' + v + '"][data-i="' + i + '"]');
    if (seg) {
      seg.classList.add("er-selected");
      var row = seg.closest(".er-video");
      row.classList.add("er-current");
      if (row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
    }
    this.root.dataset.selected = v + ":" + i;
    this.drawBoxes(interval.boxes || []);
    this.showInfo(video, interval);
    this.play(video, interval);
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
      this.boxes.appendChild(el);
    }
  };

  Viewer.prototype.showInfo = function (video, interval) {
    var head = document.createElement("div");
    var span = "t = [" + interval.t1 + ", " + interval.t2 + "]";
    if (video.fps) span += "  (" + (interval.t1 / video.fps).toFixed(2) + "s – " + (interval.t2 / video.fps).toFixed(2) + "s)";
    head.textContent = video.label + " · " + span + " · interval " + (this.current + 1) + " of " + this.order.length + " on this page";
    var pre = document.createElement("pre");
    var payload = text(interval.payload);
    pre.textContent = "payload: " + (payload && payload.length > 4000 ? payload.slice(0, 4000) + " …" : payload);
    this.info.textContent = "";
    this.info.appendChild(head);
    this.info.appendChild(pre);
  };

  Viewer.prototype.play = function (video, interval) {
    var player = this.player;
    if (!video.src || !video.fps) {
      player.hidden = true;
      if (!player.paused) player.pause();
      return;
    }
    player.hidden = false;
    var start = interval.t1 / video.fps, stop = interval.t2 / video.fps;
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

  Viewer.prototype.goToPage = function (page) {
    var data = this.data;
    if (page < 1 || (data.num_pages && page > data.num_pages)) return;
    if (page > data.page && !data.has_next) return;
    if (!data.page_url) return;
    var self = this, url = data.page_url + (data.page_url.indexOf("?") < 0 ? "?" : "&") + "page=" + page;
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

  window.EsperRekallViewer = { hydrate: hydrate, hydrateAll: hydrateAll };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hydrateAll);
  else hydrateAll();
})();

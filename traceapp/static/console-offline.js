// The console on a weak connection. Registers the service worker (which keeps the pages), and
// when an event cannot be sent, keeps it in IndexedDB with its idempotency key and sends it when
// the connection returns: a retry whose first try did land is a replay on the ledger, never a
// second event. Without this script every form simply posts.
(function () {
  "use strict";
  var script = document.currentScript;
  var meta = document.querySelector('meta[name="ocop-member"]');
  var member = meta ? meta.content : "";
  var WEEK = 7 * 24 * 3600 * 1000;
  if (!member || !window.indexedDB) return;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/console/" }).catch(function () {});
  }

  function store(mode, work) {
    return new Promise(function (ok, no) {
      var opening = indexedDB.open("ocop-console", 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore("queue", { keyPath: "key" });
      };
      opening.onerror = function () { no(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result;
        var tx = db.transaction("queue", mode);
        var asked = work(tx.objectStore("queue"));
        tx.oncomplete = function () { db.close(); ok(asked && asked.result); };
        tx.onerror = tx.onabort = function () { db.close(); no(tx.error); };
      };
    });
  }
  function all() { return store("readonly", function (s) { return s.getAll(); }); }
  function put(entry) { return store("readwrite", function (s) { s.put(entry); }); }
  function drop(key) { return store("readwrite", function (s) { s.delete(key); }); }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function freshKey() {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  }
  function csrf() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }
  function vietnamNow() {
    return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 16);
  }

  // One waiting event sent; resolves true to go on with the next, false to stop for now.
  function sendOne(entry) {
    var body = new URLSearchParams(entry.fields);
    body.set("csrf_token", csrf());
    return fetch(entry.action, { method: "POST", body: body, credentials: "same-origin" }).then(
      function (r) {
        if (r.redirected && r.ok && /\/events$/.test(new URL(r.url).pathname)) {
          entry.status = "sent";
          entry.sent = new Date().toISOString();
          entry.note = "";
          return put(entry).then(function () { return true; });
        }
        if (r.status === 400 || r.redirected) {
          entry.note = "signin"; // the session ended: signing in again sends it
          return put(entry).then(function () { return false; });
        }
        if (r.status >= 500 || r.status === 429) return false;
        return r.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          if (r.ok && doc.getElementById("done")) {
            // Recorded, with remarks (the batch log answered at once with its notices).
            var notes = doc.getElementById("notices");
            entry.status = "sent";
            entry.sent = new Date().toISOString();
            entry.note = notes ? notes.textContent.trim() : "";
            return put(entry).then(function () { return true; });
          }
          var why = doc.getElementById("form-error") || doc.querySelector("main .error") ||
            doc.querySelector("main h1");
          entry.status = "refused";
          entry.reason = why ? why.textContent.trim() : String(r.status);
          return put(entry).then(function () { return true; });
        });
      },
      function () { return false; }
    );
  }

  function flush() {
    if (!navigator.onLine) return Promise.resolve();
    function run() {
      return all().then(function (list) {
        var waiting = list.filter(function (e) {
          return e.status === "waiting" && e.member === member;
        }).sort(function (a, b) { return a.queued < b.queued ? -1 : 1; });
        return waiting.reduce(function (going, entry) {
          return going.then(function (go) { return go && sendOne(entry); });
        }, Promise.resolve(true));
      });
    }
    // One tab at a time sends (the keys would make a second send harmless, but not free).
    return navigator.locks ? navigator.locks.request("ocop-queue", run) : run();
  }

  function banner(list) {
    var waiting = list.filter(function (e) { return e.status === "waiting"; }).length;
    var note = document.getElementById("queue-banner");
    if (!waiting) { if (note) note.remove(); return; }
    if (!note) {
      note = document.createElement("p");
      note.className = "notice";
      note.id = "queue-banner";
      note.appendChild(document.createElement("a")).href = script.dataset.queue;
      document.getElementById("main").prepend(note);
    }
    note.firstChild.textContent = fill(script.dataset.banner, { n: waiting });
  }

  function line(box, entry) {
    var li = document.createElement("li");
    li.id = "q-" + entry.key;
    var what = document.createElement("strong");
    what.textContent = entry.step;
    li.appendChild(what);
    var scope = entry.codes ? fill(box.dataset.items, { n: entry.codes }) : box.dataset.whole;
    li.appendChild(document.createTextNode(
      " · " + entry.label + " · " + entry.when.replace("T", " ") + " · " + scope));
    var state = document.createElement("p");
    state.className = "state " + ({ sent: "ok", refused: "bad" }[entry.status] || "muted");
    if (entry.status === "sent") state.textContent = box.dataset.sent;
    else if (entry.status === "refused") state.textContent = fill(box.dataset.refused, { reason: entry.reason });
    else if (entry.member !== member) state.textContent = box.dataset.other;
    else state.textContent = entry.note === "signin" ? box.dataset.signin : box.dataset.waiting;
    li.appendChild(state);
    if (entry.status !== "waiting") {
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = box.dataset.remove;
      remove.addEventListener("click", function () { drop(entry.key).then(show); });
      li.appendChild(remove);
    }
    return li;
  }

  function show() {
    return all().then(function (list) {
      var old = Date.now() - WEEK;
      list.forEach(function (e) { if (e.status === "sent" && Date.parse(e.sent) < old) drop(e.key); });
      banner(list);
      var box = document.getElementById("queue");
      if (!box) return;
      var ul = document.getElementById("queue-list");
      ul.textContent = "";
      list.sort(function (a, b) { return a.queued < b.queued ? 1 : -1; });
      list.forEach(function (e) { ul.appendChild(line(box, e)); });
      if (!list.length) {
        var none = ul.appendChild(document.createElement("li"));
        none.className = "muted";
        none.textContent = box.dataset.empty;
      }
      document.getElementById("queue-send").hidden = !navigator.onLine || !list.some(function (e) {
        return e.status === "waiting" && e.member === member;
      });
    });
  }

  function sendAndShow() { return flush().then(show, show); }

  var form = document.querySelector("form[data-queue]");
  if (form) {
    var key = form.elements.idempotency_key;
    var when = form.elements.when;
    var status = document.getElementById("queue-status");
    document.getElementById("queue-link").hidden = false;
    // The service worker may show this page again: its key must not serve a second event.
    key.value = freshKey();
    if (!navigator.onLine && when.value === when.defaultValue) when.value = vietnamNow();
    var keep = function (data) {
      var fields = {};
      data.forEach(function (value, name) { if (name !== "csrf_token") fields[name] = value; });
      var step = form.elements.step;
      var codes = fields.scope === "items" ? fields.codes.split("\n").filter(function (c) {
        return c.trim();
      }).length : 0;
      return put({
        key: fields.idempotency_key, member: member, action: form.action, fields: fields,
        label: form.dataset.label, step: step.options[step.selectedIndex].text,
        when: fields.when, codes: codes, status: "waiting", queued: new Date().toISOString()
      }).then(function () {
        key.value = freshKey(); // the next event recorded here is another event
        status.textContent = form.dataset.saved;
        status.hidden = false;
        status.scrollIntoView();
        return show();
      });
    };
    form.addEventListener("submit", function (event) {
      if (!form.reportValidity()) return;
      event.preventDefault();
      var data = new FormData(form);
      if (!navigator.onLine) { keep(data); return; }
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(
        function (r) {
          if (r.redirected) { location.assign(r.url); return; }
          // Recorded with notices, or refused: show the server's page as it answered, never
          // posting again.
          return r.text().then(function (html) {
            document.open();
            document.write(html);
            document.close();
          });
        },
        function () { keep(data); }
      );
    });
  }
  var sending = document.getElementById("queue-send");
  if (sending) sending.addEventListener("click", sendAndShow);
  window.addEventListener("online", sendAndShow);
  window.addEventListener("offline", show);
  sendAndShow();
})();

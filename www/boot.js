// The page's start-up guard, inlined into index.html by Trunk (a classic script: it runs before
// the engine's module script, which Trunk inserts where the rust link was).
// - When the WebAssembly engine cannot load or start (a file missing or blocked, a failed
//   download, no WebAssembly, a file:// page), the "Loading…" line becomes a message saying what
//   failed and what to try. Once the engine has mounted the page, the line is gone and nothing
//   here reacts any more (errors after start-up are the app's own business).
// - Registers the service worker (sw.js, scoped to the page's folder) that keeps the page usable
//   offline after a first visit. The page works the same without it (file://, private windows,
//   browsers without service workers).
// Everything shown is set as text, never as HTML.
(function () {
  "use strict";
  var started = false;
  var failed = false;
  addEventListener("TrunkApplicationStarted", function () { started = true; });

  // The "Loading…" line while the engine has not replaced it.
  function loadingLine() {
    return started ? null : document.querySelector("#app > .loading");
  }

  function fail(title, detail, advice) {
    var line = loadingLine();
    if (!line || failed) return;
    failed = true;
    var box = document.createElement("div");
    box.className = "notice load-failed";
    box.setAttribute("role", "alert");
    var heading = document.createElement("p");
    heading.className = "notices-title";
    heading.textContent = title;
    box.appendChild(heading);
    if (detail) {
      var what = document.createElement("p");
      what.textContent = "What failed: " + detail;
      box.appendChild(what);
    }
    var hint = document.createElement("p");
    hint.textContent = advice;
    box.appendChild(hint);
    line.parentNode.replaceChild(box, line); // (not replaceWith: old browsers get the message too)
    // An embedded figure (embed=1, which the engine would have applied): the message alone, not
    // the page's introduction, in the host's frame.
    try {
      if (new URLSearchParams(location.search).get("embed") === "1") document.documentElement.classList.add("embed");
    } catch (e) { /* an old browser: the message shows below the introduction */ }
  }

  var HOST_ADVICE = "What to try: check the connection and reload the page. If you host this page: " +
    "upload every file and folder of the site folder (index.html, the .js, .wasm and .css files, " +
    "snippets/, worker.js, sw.js) " +
    "together and unchanged, and open the folder's address with its trailing slash.";

  function noWebAssembly() {
    fail("This browser cannot run WebAssembly, which computes everything on this page.", "",
      "What to try: a current Firefox, Chrome, Edge or Safari. If WebAssembly is switched off " +
      "(some security settings and lockdown modes do that), allow it for this site.");
  }

  function engineFailed(detail) {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      noWebAssembly();
    } else if (location.protocol === "file:") {
      fail("The WebAssembly engine cannot load from a file opened on disk (file://).", detail,
        "What to try: browsers load WebAssembly only from a web server. In the site folder run " +
        "`python3 -m http.server 8000` and open http://localhost:8000/ (any static server will do).");
    } else {
      fail("The WebAssembly engine could not be loaded.", detail, HOST_ADVICE);
    }
  }

  function describe(reason) {
    if (reason && typeof reason === "object" && "message" in reason) {
      return (reason.name ? reason.name + ": " : "") + reason.message;
    }
    return String(reason);
  }

  // A script that failed to download (its error event does not bubble: listen while capturing),
  // or an exception thrown while the engine was loading (a failed fetch of the .wasm, an invalid
  // module: wasm-bindgen's init rejects, and the module script's top-level await reports it).
  addEventListener("error", function (event) {
    if (started) return;
    var target = event.target;
    if (target && target.tagName === "SCRIPT") {
      engineFailed(target.src ? "the script " + target.src + " did not load"
        : "the engine's JavaScript file did not load");
    } else if (event instanceof ErrorEvent) {
      engineFailed((event.message || "an error while starting").replace(/^Uncaught /, ""));
    }
  }, true);
  addEventListener("unhandledrejection", function (event) {
    if (!started) engineFailed(describe(event.reason));
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      noWebAssembly();
      return;
    }
    // A download that never finishes (a stalled connection) fails no event: say so after a while.
    setTimeout(function () {
      var line = loadingLine();
      if (line && !failed) {
        line.textContent = "Still loading the WebAssembly engine (about 400 KB)… On a slow " +
          "connection this can take a while; if nothing changes, reload the page.";
      }
    }, 20000);
  });

  // Offline after the first visit. Only over http(s) (service workers need a secure context:
  // https, or localhost), registered once the page has loaded so it never delays the engine.
  if ("serviceWorker" in navigator && window.isSecureContext && location.protocol !== "file:") {
    addEventListener("load", function () {
      var controlled = navigator.serviceWorker.controller !== null;
      navigator.serviceWorker.register("sw.js").then(function (registration) {
        // Already installed: ask whether a new deployment is there (one revalidated request for
        // sw.js; browsers alone may wait up to a day). A new sw.js installs the new build.
        if (controlled) return registration.update();
      }).catch(function () {
        // Refused (private window, blocked storage) or offline: the page works as it is.
      });
    });
  }
})();

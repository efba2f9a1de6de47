// One Web Worker of the page's simulation pool (www/pool.js starts it as a module worker).
//
// It runs the page's own engine: the page posts the WebAssembly.Module it compiled and the URL
// of its wasm-bindgen glue, so the .wasm is neither downloaded nor compiled again. Then each
// task message names a figure's configuration (canonical text) and one of its simulation tasks;
// the engine rebuilds that figure's task list (kept while the configuration stays the same), runs
// the task and posts its result as a Float64Array (exact, bit for bit). Messages:
//   in:  {type: "init", glue, module}, {type: "task", run, index, count, config}
//   out: {type: "ready"}, {type: "failed", reason} (the engine could not start),
//        {type: "progress", run, index, fraction}, {type: "result", run, index, numbers},
//        {type: "lost", run, index, reason} (the task failed; the page runs it itself)
// Nothing here touches a page: a worker has no document.
"use strict";

let engine = null;

async function start(message) {
  try {
    const glue = await import(message.glue);
    await glue.default({ module_or_path: message.module });
    engine = glue;
    self.postMessage({ type: "ready" });
  } catch (error) {
    self.postMessage({ type: "failed", reason: String(error && error.message ? error.message : error) });
  }
}

let started = null;

self.onmessage = (event) => {
  const message = event.data || {};
  if (message.type === "init") {
    started = start(message);
    return;
  }
  if (message.type !== "task" || !started) return;
  started.then(() => {
    const { run, index } = message;
    if (!engine) {
      self.postMessage({ type: "lost", run, index, reason: "the engine did not start" });
      return;
    }
    try {
      const progress = (fraction) => self.postMessage({ type: "progress", run, index, fraction });
      const numbers = engine.run_worker_task(message.config, index, message.count, progress);
      self.postMessage({ type: "result", run, index, numbers }, [numbers.buffer]);
    } catch (error) {
      // A trapped instance answers no more: say so, and the page replaces this worker.
      engine = null;
      self.postMessage({ type: "lost", run, index, reason: String(error && error.message ? error.message : error) });
    }
  });
};

// The page's pool of simulation workers (Web Workers running www/worker.js), driven by the
// engine (src/web/workers.rs) once per animation frame: submit a task to an idle worker, cancel
// a run (its busy workers are terminated at once and replaced), drain the messages that arrived.
// Message passing only (no SharedArrayBuffer, so no cross-origin isolation headers: the page
// still embeds anywhere and works from any static host). Workers start on the first task, not
// with the page. If workers cannot start (no module workers, a blocked worker.js, a missing
// glue file), the pool says so (`unavailable`) and the engine runs the simulations itself.
// Workers idle for IDLE_MS are terminated (a lecture page with several embedded figures keeps no
// engines in memory once their simulations are done); the next task starts new ones.
const IDLE_MS = 5000;

export class SimulationPool {
  constructor(size, module) {
    this.size = size;
    this.module = module;
    this.slots = [];
    this.inbox = [];
    this.problem = "";
    this.started = 0;
    this.idleTimer = null;
    // The engine's glue: the module the page preloads (Trunk writes the link).
    const link = document.querySelector('link[rel="modulepreload"][href$=".js"]');
    this.glue = link ? link.href : "";
    if (typeof Worker !== "function") this.problem = "this browser has no Web Workers";
    else if (!(module instanceof WebAssembly.Module)) this.problem = "the engine's module is not shareable";
    else if (!this.glue) this.problem = "the page has no preloaded engine module";
  }

  // Whether the pool can run tasks (no worker has failed to start).
  get unavailable() {
    return this.problem !== "";
  }

  // Workers started so far, and whether all that started are ready (for the page's status).
  get ready() {
    return this.slots.filter((slot) => slot && slot.ready).length;
  }

  spawn(position) {
    let worker;
    try {
      worker = new Worker(new URL("worker.js", document.baseURI), { type: "module" });
    } catch (error) {
      this.fail("a worker could not start: " + (error && error.message ? error.message : error));
      return null;
    }
    const slot = { worker, ready: false, task: null };
    worker.onmessage = (event) => this.received(slot, event.data || {});
    worker.onerror = (event) => {
      if (event && event.preventDefault) event.preventDefault();
      this.fail("a worker failed: " + ((event && event.message) || "its script did not load"));
    };
    worker.postMessage({ type: "init", glue: this.glue, module: this.module });
    this.slots[position] = slot;
    this.started += 1;
    return slot;
  }

  received(slot, message) {
    if (message.type === "ready") {
      slot.ready = true;
      return;
    }
    if (message.type === "failed") {
      this.fail("the engine did not start in a worker: " + message.reason);
      return;
    }
    const task = slot.task;
    // A message of a task this worker no longer runs (cancelled) is dropped.
    if (!task || task.run !== message.run || task.index !== message.index) return;
    if (message.type === "progress") {
      this.inbox.push({ kind: 0, run: task.run, index: task.index, fraction: message.fraction });
      return;
    }
    slot.task = null;
    this.whenIdle();
    if (message.type === "result") {
      this.inbox.push({ kind: 1, run: task.run, index: task.index, numbers: message.numbers });
    } else {
      this.inbox.push({ kind: 2, run: task.run, index: task.index, reason: String(message.reason) });
      this.replace(slot);
    }
  }

  // Stops every worker; their tasks are reported lost, so that the engine runs them itself.
  fail(reason) {
    if (!this.problem) this.problem = reason;
    for (let position = 0; position < this.slots.length; position += 1) {
      const slot = this.slots[position];
      if (!slot) continue;
      if (slot.task) this.inbox.push({ kind: 2, run: slot.task.run, index: slot.task.index, reason });
      slot.worker.terminate();
      this.slots[position] = null;
    }
  }

  replace(slot) {
    const position = this.slots.indexOf(slot);
    slot.worker.terminate();
    if (position >= 0) this.slots[position] = null;
  }

  // Terminates every worker once none has had a task for IDLE_MS.
  whenIdle() {
    if (this.idleTimer !== null || this.slots.some((slot) => slot && slot.task)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (!this.slots.some((slot) => slot && slot.task)) this.close();
    }, IDLE_MS);
  }

  // Live workers (started and not terminated).
  get live() {
    return this.slots.filter((slot) => slot).length;
  }

  // Idle workers (started or not yet started).
  idle() {
    if (this.problem) return 0;
    let idle = 0;
    for (let position = 0; position < this.size; position += 1) {
      const slot = this.slots[position];
      if (!slot || !slot.task) idle += 1;
    }
    return idle;
  }

  // Gives task `index` of run `run` (of `count` tasks, configuration `config`) to an idle
  // worker; false when none is idle.
  submit(run, index, count, config) {
    if (this.problem) return false;
    for (let position = 0; position < this.size; position += 1) {
      let slot = this.slots[position];
      if (slot && slot.task) continue;
      if (!slot) slot = this.spawn(position);
      if (!slot) return false;
      if (this.idleTimer !== null) {
        clearTimeout(this.idleTimer);
        this.idleTimer = null;
      }
      slot.task = { run, index };
      slot.worker.postMessage({ type: "task", run, index, count, config });
      return true;
    }
    return false;
  }

  // Stops every task of run `run` at once (its workers are terminated; new ones start on the
  // next task). Returns how many were stopped.
  cancel(run) {
    let stopped = 0;
    for (const slot of this.slots) {
      if (slot && slot.task && slot.task.run === run) {
        this.replace(slot);
        stopped += 1;
      }
    }
    this.whenIdle();
    return stopped;
  }

  // The messages since the last call: {kind: 0 progress | 1 result | 2 lost, run, index,
  // fraction, numbers, reason}.
  drain() {
    const messages = this.inbox;
    this.inbox = [];
    return messages;
  }

  // Terminates every worker (the page is leaving, or they were idle); new ones start on the
  // next task.
  close() {
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    for (const slot of this.slots) if (slot) slot.worker.terminate();
    this.slots = [];
  }
}

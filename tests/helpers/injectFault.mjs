// Preloaded into a server under test (node --import): on SIGUSR2 the process gets the fault named by
// INJECT_FAULT — `rejection`: a promise rejected that nobody handles; `exception`: an error thrown
// out of a callback. What the server does then is src/startup.ts's handleProcessFaults.
process.on('SIGUSR2', () => {
  if (process.env.INJECT_FAULT === 'rejection') void Promise.reject(new Error('injected rejection'));
  else if (process.env.INJECT_FAULT === 'exception')
    setImmediate(() => {
      throw new Error('injected exception');
    });
});

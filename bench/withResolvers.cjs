// Bench only: PostGraphile 5 declares Node >= 22 and uses Promise.withResolvers (Node 22+).
// Preloaded (node --require) into the PostGraphile child process of `npm run bench` on Node 20.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

import autocannon from 'autocannon';

export interface LoadResult {
  result: autocannon.Result;
  /** Answers that failed as GraphQL: a non-200 status, or a 200 whose body has an `errors` array. */
  graphqlErrors: number;
  /** The first of them, status and the start of its body, to say what went wrong. */
  firstError: string | undefined;
}

/** POSTs one GraphQL body on `connections` connections for `seconds` (autocannon), counting GraphQL failures. */
export async function postLoad(url: string, body: string, connections: number, seconds: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  let graphqlErrors = 0;
  let firstError: string | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(
      {
        url,
        method: 'POST',
        connections,
        duration: seconds,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body,
            onResponse: (status, resBody) => {
              if (status !== 200 || resBody.includes('"errors"')) {
                graphqlErrors++;
                firstError ??= `${status} ${resBody.slice(0, 200)}`;
              }
            },
          },
        ],
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    ),
  );
  return { result, graphqlErrors, firstError };
}

import type { IncomingMessage } from 'node:http';
import { clientAddressOf, parseTrustProxy, trustFunction } from '../../src/http/clientAddress';

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress }, connection: { remoteAddress }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

describe('TRUST_PROXY', () => {
  it('parses false, a hop count and address lists, and refuses a bad address', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => parseTrustProxy('10.0.0.300')).toThrow(/invalid IP address/);
  });

  it.each([
    ['no proxy trusted: the socket, whatever the header says', false, '10.0.0.5', '1.2.3.4', '10.0.0.5'],
    ['the balancer on 10/8 trusted: the caller it names', ['10.0.0.0/8'], '10.0.0.5', '1.2.3.4', '1.2.3.4'],
    ['a spoofed entry before the real one is not believed', ['10.0.0.0/8'], '10.0.0.5', '6.6.6.6, 1.2.3.4', '1.2.3.4'],
    ['a request from outside the trusted range: its socket', ['10.0.0.0/8'], '8.8.8.8', '1.2.3.4', '8.8.8.8'],
    ['one hop trusted', 1, '10.0.0.5', '6.6.6.6, 1.2.3.4', '1.2.3.4'],
  ] as const)('%s', (_name, trust, socket, header, expected) => {
    expect(clientAddressOf(request(socket, header), trustFunction(trust as never))).toBe(expected);
  });
});

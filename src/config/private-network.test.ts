import { describe, expect, it } from 'vitest';
import { isLoopbackOnly, privateNetworkWarning } from './private-network.js';

describe('the private-network warning', () => {
  it('knows the hosts that serve this machine only', () => {
    for (const host of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackOnly(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '128.0.0.1', '::2']) expect(isLoopbackOnly(host), host).toBe(false);
  });

  it('warns when the default lets projects reach private addresses of a server others can reach, and says how to turn it off', () => {
    const line = privateNetworkWarning({ httpTargetsAllowPrivate: true, host: '0.0.0.0' }, {});
    expect(line).toContain('ASSAY_HTTP_TARGETS_ALLOW_PRIVATE is unset, so true, and HOST=0.0.0.0 accepts connections from other machines');
    expect(line).toContain('Set ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=false to refuse them');
    expect(line).not.toContain('\n');
    expect(privateNetworkWarning({ httpTargetsAllowPrivate: true, host: '0.0.0.0' }, { ASSAY_HTTP_TARGETS_ALLOW_PRIVATE: ' ' })).toBe(line);
  });

  it('is silent when private addresses are refused, only this machine connects, or the operator chose true', () => {
    expect(privateNetworkWarning({ httpTargetsAllowPrivate: false, host: '0.0.0.0' }, { ASSAY_HTTP_TARGETS_ALLOW_PRIVATE: 'false' })).toBeNull();
    expect(privateNetworkWarning({ httpTargetsAllowPrivate: true, host: '127.0.0.1' }, {})).toBeNull();
    expect(privateNetworkWarning({ httpTargetsAllowPrivate: true, host: '0.0.0.0' }, { ASSAY_HTTP_TARGETS_ALLOW_PRIVATE: 'true' })).toBeNull();
  });
});

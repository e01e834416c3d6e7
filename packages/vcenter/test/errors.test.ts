import { describe, expect, it } from 'vitest';
import { apiAdapter } from '../src/api-adapter.js';
import {
  isRetryable,
  normaliseVapiType,
  typeFromCode,
  typeFromStatus,
  VCenterError,
} from '../src/errors.js';
import {
  DependencyUnavailableError,
  InvalidEventError,
  UpstreamRejectedError,
  mapError,
} from '@veba-functions/runtime';
import { restAdapter } from '../src/rest-adapter.js';
import { toRuntimeError } from '../src/runtime-errors.js';
import { perObject } from '../src/tagging.js';

describe('error types', () => {
  it.each([
    ['NOT_FOUND', 'NOT_FOUND'],
    ['com.vmware.vapi.std.errors.not_found', 'NOT_FOUND'],
    ['com.vmware.vapi.std.errors.already_exists', 'ALREADY_EXISTS'],
    ['com.vmware.vapi.std.errors.invalid_argument', 'INVALID_ARGUMENT'],
    ['com.vmware.vapi.std.errors.unauthenticated', 'UNAUTHENTICATED'],
    ['UNAUTHORIZED', 'UNAUTHORIZED'],
    ['com.vmware.vapi.std.errors.service_unavailable', 'SERVICE_UNAVAILABLE'],
  ])('%s -> %s', (raw, normalised) => {
    expect(normaliseVapiType(raw)).toBe(normalised);
  });

  it("reads both flavours' error bodies to the same type and messages", () => {
    const api = apiAdapter.parseError({
      error_type: 'NOT_FOUND',
      messages: [{ id: 'x', default_message: 'Tag t not found', args: ['t'] }],
    });
    const rest = restAdapter.parseError({
      type: 'com.vmware.vapi.std.errors.not_found',
      value: { messages: [{ id: 'x', default_message: 'Tag t not found', args: ['t'] }] },
    });
    expect(normaliseVapiType(api.type as string)).toBe(normaliseVapiType(rest.type as string));
    expect(api.messages).toEqual(rest.messages);
    // vcsim: empty bodies and plain-text 404s
    expect(restAdapter.parseError(undefined)).toEqual({ type: undefined, messages: [] });
    expect(apiAdapter.parseError('404 page not found\n')).toEqual({
      type: undefined,
      messages: [],
    });
  });

  it("falls back to the status when the body names no type (vcsim's empty 401)", () => {
    expect(typeFromStatus(401)).toBe('UNAUTHENTICATED');
    expect(typeFromStatus(404)).toBe('NOT_FOUND');
    expect(typeFromStatus(502)).toBe('INTERNAL_SERVER_ERROR');
    expect(typeFromStatus(418)).toBe('ERROR');
  });

  it('classifies failures without an answer by their code', () => {
    expect(typeFromCode('ECONNREFUSED')).toBe('NETWORK_ERROR');
    expect(typeFromCode('ECONNRESET')).toBe('NETWORK_ERROR');
    expect(typeFromCode('ECONNABORTED')).toBe('TIMED_OUT');
    expect(typeFromCode('DEPTH_ZERO_SELF_SIGNED_CERT')).toBe('TLS_ERROR');
    expect(typeFromCode('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('TLS_ERROR');
    expect(typeFromCode('ERR_CANCELED')).toBe('CANCELED');
  });

  it('retryable: network errors, timeouts, 5xx, 429; not other 4xx, TLS or cancellation', () => {
    expect(isRetryable('NETWORK_ERROR', undefined)).toBe(true);
    expect(isRetryable('TIMED_OUT', undefined)).toBe(true);
    expect(isRetryable('TLS_ERROR', undefined)).toBe(false);
    expect(isRetryable('CANCELED', undefined)).toBe(false);
    expect(isRetryable('SERVICE_UNAVAILABLE', 503)).toBe(true);
    expect(isRetryable('INTERNAL_SERVER_ERROR', 500)).toBe(true);
    expect(isRetryable('RESOURCE_BUSY', 429)).toBe(true);
    expect(isRetryable('NOT_FOUND', 404)).toBe(false);
    expect(isRetryable('INVALID_ARGUMENT', 400)).toBe(false);
    expect(isRetryable('UNAUTHENTICATED', 401)).toBe(false);
  });

  it('is an Error with name and cause', () => {
    const cause = new Error('socket hang up');
    const error = new VCenterError('vCenter GET /api/session failed', {
      type: 'NETWORK_ERROR',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('VCenterError');
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(true);
  });
});

describe('attach-tag-to-multiple-objects results', () => {
  const msg = (text: string, args: string[] = []) => ({ id: 'e', defaultMessage: text, args });

  it('all attached on success', () => {
    expect(perObject(['vm-1', 'vm-2'], true, []).results.map((r) => r.status)).toEqual([
      'attached',
      'attached',
    ]);
  });

  it('attributes messages by args or by the moref in the text, without matching vm-1 inside vm-12', () => {
    const result = perObject(['vm-1', 'vm-12', 'vm-3'], false, [
      msg('Object vm-12 not found'),
      msg('denied', ['vm-3']),
    ]);
    expect(result.results).toEqual([
      { vmId: 'vm-1', status: 'attached', messages: [] },
      { vmId: 'vm-12', status: 'failed', messages: ['Object vm-12 not found'] },
      { vmId: 'vm-3', status: 'failed', messages: ['denied'] },
    ]);
  });

  it('marks the rest unknown when a failure names no object', () => {
    const result = perObject(['vm-1', 'vm-2'], false, [
      msg('Object vm-2 not found'),
      msg('something failed'),
    ]);
    expect(result.results).toEqual([
      { vmId: 'vm-1', status: 'unknown', messages: ['something failed'] },
      { vmId: 'vm-2', status: 'failed', messages: ['Object vm-2 not found'] },
    ]);
    expect(perObject(['vm-1'], false, []).results[0]?.status).toBe('unknown');
  });
});

describe('toRuntimeError: the one mapping to the runtime error family', () => {
  const failure = (options: ConstructorParameters<typeof VCenterError>[1]) =>
    new VCenterError('vCenter POST /api/x failed', options);

  it('retryable -> DependencyUnavailableError (503)', () => {
    const mapped = toRuntimeError(
      failure({ type: 'SERVICE_UNAVAILABLE', status: 503 }),
      'tagging vm-1',
    );
    expect(mapped).toBeInstanceOf(DependencyUnavailableError);
    expect(mapError(mapped).status).toBe(503);
    expect((mapped as Error).message).toContain('while tagging vm-1');
  });

  it('NOT_FOUND about an object the event names -> InvalidEventError (400)', () => {
    const mapped = toRuntimeError(
      failure({ type: 'NOT_FOUND', status: 404, objectId: 'vm-42' }),
      'tagging vm-42',
    );
    expect(mapped).toBeInstanceOf(InvalidEventError);
    expect((mapped as Error).message).toBe('vm-42 does not exist in vCenter (tagging vm-42)');
  });

  it.each([
    ['UNAUTHORIZED', 403, undefined],
    ['UNAUTHENTICATED', 401, undefined],
    ['NOT_FOUND', 404, undefined],
    ['TAG_NOT_FOUND', undefined, undefined],
    ['INVALID_ARGUMENT', 400, 'vm-1'],
  ] as const)('%s -> UpstreamRejectedError (502)', (type, status, objectId) => {
    const mapped = toRuntimeError(failure({ type, status, objectId }), 'tagging');
    expect(mapped).toBeInstanceOf(UpstreamRejectedError);
    expect(mapError(mapped).status).toBe(502);
    expect((mapped as Error).cause).toBeInstanceOf(VCenterError);
  });

  it('leaves anything else as it is', () => {
    const error = new TypeError('bug');
    expect(toRuntimeError(error, 'x')).toBe(error);
  });
});

// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import sample from '../fixtures/analysis-text.json';
import { Playground } from './Playground';
import { Recorder } from './Recorder';

/** A MediaRecorder that "records" one chunk of known bytes. */
class FakeRecorder {
  static instances: FakeRecorder[] = [];
  state: 'inactive' | 'recording' = 'inactive';
  mimeType = 'audio/webm;codecs=opus';
  ondataavailable: ((e: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  constructor(readonly stream: unknown) {
    FakeRecorder.instances.push(this);
  }
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    this.ondataavailable?.({ data: new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3])]) });
    this.onstop?.();
  }
}

let trackStopped: number;
let getUserMedia: ReturnType<typeof vi.fn>;

beforeEach(() => {
  FakeRecorder.instances = [];
  trackStopped = 0;
  getUserMedia = vi.fn(async () => ({ getTracks: () => [{ stop: () => (trackStopped += 1) }] }));
  vi.stubGlobal('MediaRecorder', FakeRecorder);
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia }, configurable: true });
  vi.stubGlobal(
    'URL',
    Object.assign(URL, { createObjectURL: () => 'blob:x', revokeObjectURL: () => undefined }),
  );
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  Reflect.deleteProperty(navigator, 'mediaDevices');
});

describe('Recorder', () => {
  it('records audio with the elapsed time, then hands over a webm file and frees the microphone', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, now: 0 });
    const recorded = vi.fn();
    render(<Recorder onRecorded={recorded} />);
    fireEvent.click(screen.getByRole('button', { name: 'Record audio' }));
    await screen.findByRole('button', { name: 'Stop recording' });
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true });
    expect(screen.getByRole('status').textContent).toContain('Recording audio');
    await act(async () => {
      await vi.advanceTimersByTimeAsync(2100);
    });
    expect(screen.getByLabelText('Elapsed time').textContent).toBe('0:02');
    fireEvent.click(screen.getByRole('button', { name: 'Stop recording' }));
    expect(recorded).toHaveBeenCalledTimes(1);
    const file = recorded.mock.calls[0]![0] as File;
    expect(file.type).toBe('audio/webm');
    expect(file.name).toMatch(/^recording-.+\.webm$/);
    expect(file.size).toBe(7);
    expect(trackStopped).toBe(1);
    expect(screen.getByRole('button', { name: 'Record audio' })).toBeTruthy();
  });

  it('asks for camera and microphone for video', async () => {
    render(<Recorder onRecorded={() => undefined} />);
    fireEvent.click(screen.getByRole('button', { name: 'Record video' }));
    await screen.findByRole('button', { name: 'Stop recording' });
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true, video: true });
  });

  it('says so when access is denied', async () => {
    getUserMedia.mockRejectedValueOnce(new DOMException('Permission denied', 'NotAllowedError'));
    render(<Recorder onRecorded={() => undefined} />);
    fireEvent.click(screen.getByRole('button', { name: 'Record audio' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Access to the microphone was denied/);
    expect(FakeRecorder.instances).toHaveLength(0);
  });

  it('explains why recording is unavailable without MediaRecorder or media devices', () => {
    vi.stubGlobal('MediaRecorder', undefined);
    const { unmount } = render(<Recorder onRecorded={() => undefined} />);
    expect(screen.queryByRole('button', { name: 'Record audio' })).toBeNull();
    expect(screen.getByText(/Recording is not available: .*no MediaRecorder/)).toBeTruthy();
    unmount();
    vi.stubGlobal('MediaRecorder', FakeRecorder);
    Reflect.deleteProperty(navigator, 'mediaDevices');
    render(<Recorder onRecorded={() => undefined} />);
    expect(screen.getByText(/Recording is not available: .*no microphone or camera/)).toBeTruthy();
  });
});

describe('Playground recording', () => {
  it('analyses the recording like a picked file (the bytes as the body, audio/webm)', async () => {
    const bodies: Array<{ type: string | null; size: number }> = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        const path = new URL(url).pathname;
        const ok = (b: unknown) =>
          new Response(JSON.stringify(b), { status: 200, headers: { 'content-type': 'application/json' } });
        if (path === '/v1/pipelines') return ok({ pipelines: [] });
        if (path === '/v1/analyzers') return ok({ modalities: ['text', 'audio'], analyzers: [] });
        const body = init?.body as Blob;
        bodies.push({ type: new Headers(init?.headers).get('content-type'), size: body.size });
        return ok(sample);
      }),
    );
    render(<Playground />);
    fireEvent.click(screen.getByRole('tab', { name: 'Image, audio or video' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Record audio' })); // a lazy chunk
    fireEvent.click(await screen.findByRole('button', { name: 'Stop recording' }));
    await screen.findByText(/^recording-.+\.webm$/);
    fireEvent.click(screen.getByRole('button', { name: 'Analyse' }));
    await screen.findByRole('region', { name: 'Safety decision' });
    expect(bodies).toEqual([{ type: 'audio/webm', size: 7 }]);
  });
});

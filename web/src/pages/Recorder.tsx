/**
 * Records from the microphone (or camera and microphone) with getUserMedia + MediaRecorder and
 * hands the recording over as a File, to be analysed like a picked one. Where the browser has no
 * media devices or no MediaRecorder, or access is refused, it says so instead.
 */
import { useEffect, useRef, useState } from 'react';

type Kind = 'audio' | 'video';

type State =
  | { status: 'idle' }
  | { status: 'starting'; kind: Kind }
  | { status: 'recording'; kind: Kind; startedAt: number }
  | { status: 'error'; message: string };

/** Why recording cannot work in this browser, or undefined when it can. */
export function recordingUnsupported(): string | undefined {
  if (typeof navigator === 'undefined' || typeof navigator.mediaDevices?.getUserMedia !== 'function')
    return 'This browser gives the page no microphone or camera (they need a secure connection, https or localhost).';
  if (typeof MediaRecorder === 'undefined') return 'This browser cannot record media (no MediaRecorder).';
  return undefined;
}

const elapsedText = (ms: number) => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function refusal(error: unknown, kind: Kind): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  const device = kind === 'audio' ? 'microphone' : 'camera and microphone';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return `Access to the ${device} was denied. Allow it in the browser's site settings to record.`;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return `No ${device} was found.`;
  if (name === 'NotReadableError') return `The ${device} is in use by another program.`;
  return `Recording could not start: ${error instanceof Error ? error.message : String(error)}`;
}

export function Recorder({ onRecorded }: { readonly onRecorded: (file: File) => void }) {
  const unsupported = recordingUnsupported();
  const [state, setState] = useState<State>({ status: 'idle' });
  const [now, setNow] = useState(0);
  const recorder = useRef<MediaRecorder | undefined>(undefined);
  const stream = useRef<MediaStream | undefined>(undefined);
  const onRecordedRef = useRef(onRecorded);
  onRecordedRef.current = onRecorded;

  const release = () => {
    for (const t of stream.current?.getTracks() ?? []) t.stop();
    stream.current = undefined;
  };
  // Leaving the page stops the recording and frees the devices.
  useEffect(
    () => () => {
      if (recorder.current?.state === 'recording') {
        recorder.current.ondataavailable = null;
        recorder.current.onstop = null;
        recorder.current.stop();
      }
      release();
    },
    [],
  );
  useEffect(() => {
    if (state.status !== 'recording') return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [state.status]);

  if (unsupported) return <p className="small muted">Recording is not available: {unsupported}</p>;

  const start = async (kind: Kind) => {
    setState({ status: 'starting', kind });
    let media: MediaStream;
    try {
      media = await navigator.mediaDevices.getUserMedia(
        kind === 'audio' ? { audio: true } : { audio: true, video: true },
      );
    } catch (error) {
      setState({ status: 'error', message: refusal(error, kind) });
      return;
    }
    stream.current = media;
    let rec: MediaRecorder;
    try {
      rec = new MediaRecorder(media);
    } catch (error) {
      release();
      setState({ status: 'error', message: refusal(error, kind) });
      return;
    }
    const chunks: Blob[] = [];
    rec.ondataavailable = (e) => {
      if (e.data.size > 0) chunks.push(e.data);
    };
    rec.onstop = () => {
      release();
      // The container without codec parameters (audio/webm;codecs=opus → audio/webm).
      const type = (rec.mimeType || `${kind}/webm`).split(';')[0]!.trim();
      const ext = type.split('/')[1] ?? 'webm';
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = new File(chunks, `recording-${stamp}.${ext}`, { type });
      setState({ status: 'idle' });
      if (file.size === 0) setState({ status: 'error', message: 'The recording is empty.' });
      else onRecordedRef.current(file);
    };
    recorder.current = rec;
    rec.start();
    setState({ status: 'recording', kind, startedAt: Date.now() });
  };
  const stop = () => {
    if (recorder.current?.state === 'recording') recorder.current.stop();
  };

  const recording = state.status === 'recording';
  return (
    <div className="stack">
      <div className="row" role="group" aria-label="Record">
        {recording ? (
          <button type="button" className="danger" onClick={stop}>
            Stop recording
          </button>
        ) : (
          <>
            <button type="button" onClick={() => void start('audio')} disabled={state.status === 'starting'}>
              Record audio
            </button>
            <button type="button" onClick={() => void start('video')} disabled={state.status === 'starting'}>
              Record video
            </button>
          </>
        )}
        <span className="small" role="status" aria-live="polite">
          {state.status === 'starting' && 'Asking for access…'}
          {recording && `Recording ${state.kind}… `}
        </span>
        {recording && (
          <span className="small mono" aria-label="Elapsed time">
            {elapsedText(Math.max(0, now - state.startedAt))}
          </span>
        )}
      </div>
      {state.status === 'error' && (
        <p className="small" role="alert">
          {state.message}
        </p>
      )}
    </div>
  );
}

// @vitest-environment jsdom
import { KaleidoApiError } from '@kaleido/client';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { ScoreList } from './ScoreBar';
import { ErrorState } from './States';
import { Tabs } from './Tabs';

afterEach(cleanup);

function TabsHarness() {
  const [selected, setSelected] = useState<'a' | 'b' | 'c'>('a');
  return (
    <Tabs
      id="t"
      label="Pick"
      items={[
        { key: 'a', label: 'A' },
        { key: 'b', label: 'B' },
        { key: 'c', label: 'C' },
      ]}
      selected={selected}
      onSelect={setSelected}
    >
      <p>panel {selected}</p>
    </Tabs>
  );
}

describe('Tabs', () => {
  it('has one tab stop, and arrow keys, Home and End select and focus tabs', () => {
    render(<TabsHarness />);
    const [a, b, c] = screen.getAllByRole('tab');
    expect([a, b, c].map((t) => t!.tabIndex)).toEqual([0, -1, -1]);
    a!.focus();
    fireEvent.keyDown(a!, { key: 'ArrowRight' });
    expect(b!.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(b);
    expect(screen.getByRole('tabpanel').textContent).toBe('panel b');
    fireEvent.keyDown(b!, { key: 'End' });
    expect(document.activeElement).toBe(c);
    fireEvent.keyDown(c!, { key: 'ArrowRight' }); // wraps
    expect(document.activeElement).toBe(a);
    fireEvent.keyDown(a!, { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(c);
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe('t-tab-c');
  });
});

describe('ScoreList', () => {
  it('says each score as text (the bar is decoration), with the threshold for screen readers', () => {
    render(
      <ScoreList
        label="Spam"
        scores={[
          { label: 'spam', value: 0.75, threshold: 0.5 },
          { label: 'tiny', value: 0.004 },
        ]}
      />,
    );
    const list = screen.getByLabelText('Spam');
    expect(list.textContent).toContain('spam75% (threshold 50%)');
    expect(list.textContent).toContain('0.4%');
    expect(list.querySelector('.bar')!.getAttribute('aria-hidden')).toBe('true');
    expect((list.querySelector('.bar > span') as HTMLElement).style.width).toBe('75%');
  });
});

describe('ErrorState', () => {
  it('shows the server message, what to do, the code and request id — never a stack', () => {
    const error = new KaleidoApiError('POST /v1/analyze failed', {
      kind: 'http',
      status: 415,
      method: 'POST',
      url: 'http://x/v1/analyze',
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      requestId: 'req-7',
      body: {
        error: {
          code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
          message: 'the content is image/gif, and this server has no image analyzers',
        },
      },
    });
    render(<ErrorState error={error} context="The analysis failed." />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('the content is image/gif, and this server has no image analyzers');
    expect(alert.textContent).toContain('cannot analyse this kind of content');
    expect(alert.textContent).toContain('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(alert.textContent).toContain('req-7');
    expect(alert.textContent).not.toContain('    at ');
  });
  it('tells a network failure from a server refusal', () => {
    const error = new KaleidoApiError('GET /metrics failed', {
      kind: 'network',
      status: 0,
      method: 'GET',
      url: 'http://x/metrics',
    });
    render(<ErrorState error={error} context="Reading the metrics failed." />);
    expect(screen.getByRole('alert').textContent).toContain('The server did not answer.');
  });
  it('asks to sign in, without an alarm, when the server wants credentials', () => {
    const error = new KaleidoApiError('GET /v1/pipelines failed', {
      kind: 'http',
      status: 401,
      method: 'GET',
      url: 'http://x/v1/pipelines',
      code: 'ERR_UNAUTHENTICATED',
      body: { error: { code: 'ERR_UNAUTHENTICATED', message: 'credentials are required' } },
    });
    render(<ErrorState error={error} context="Loading the pipelines failed." />);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('Sign in to see this');
  });
});

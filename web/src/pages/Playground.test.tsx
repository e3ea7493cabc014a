// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import sample from '../fixtures/analysis-text.json';
import { Playground } from './Playground';

const PIPELINES = {
  pipelines: [
    {
      name: 'text-default',
      modality: 'text',
      default: true,
      complete: true,
      description: 'Everything.',
      steps: [
        { id: 'pii', analyzer: 'text/pii' },
        { id: 'spam', analyzer: 'text/spam' },
      ],
    },
    {
      name: 'text-pii',
      modality: 'text',
      default: false,
      complete: true,
      steps: [{ id: 'pii', analyzer: 'text/pii' }],
    },
  ],
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

let requests: Array<{ url: string; body: unknown }>;

beforeEach(() => {
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const path = new URL(url).pathname;
      if (path === '/v1/pipelines') return json(200, PIPELINES);
      if (path === '/v1/analyzers') return json(200, { modalities: ['text'], analyzers: [] });
      if (path === '/v1/analyze') {
        const body = JSON.parse(String(init?.body)) as { text: string };
        requests.push({ url, body });
        if (body.text === 'fail') {
          return json(400, {
            error: { code: 'ERR_VALIDATION', message: 'the text is empty', requestId: 'r1' },
          });
        }
        return json(200, sample);
      }
      return json(404, { error: { code: 'ERR_NOT_FOUND', message: 'no route' } });
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Playground', () => {
  it('analyses text with the chosen pipeline and steps, and shows the result', async () => {
    render(<Playground />);
    const analyse = screen.getByRole('button', { name: 'Analyse' }) as HTMLButtonElement;
    expect(analyse.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Personal data' }));
    await screen.findByRole('option', { name: 'text-pii' });
    fireEvent.change(screen.getByLabelText('Pipeline'), { target: { value: 'text-default' } });
    fireEvent.click(screen.getByLabelText('spam'));
    fireEvent.click(analyse);
    await screen.findByRole('region', { name: 'Safety decision' });
    expect(requests[0]!.body).toEqual({
      text: 'Hi, I am Jane Doe. Call me on +1 415 555 0100 or write to jane.doe@example.com.',
      pipeline: 'text-default',
      tasks: ['spam'],
    });
    expect(screen.getByRole('status').textContent).toBe('Analysis done. Decision: Redacted.');
  });

  it('says what went wrong and keeps the text when the server refuses', async () => {
    render(<Playground />);
    fireEvent.change(screen.getByRole('textbox', { name: 'Text' }), { target: { value: 'fail' } });
    fireEvent.click(screen.getByRole('button', { name: 'Analyse' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('the text is empty');
    expect(alert.textContent).toContain('Check the input and try again.');
    expect((screen.getByRole('textbox', { name: 'Text' }) as HTMLTextAreaElement).value).toBe('fail');
  });

  it('switches to files and back without losing the text, and says when files cannot be analysed', async () => {
    render(<Playground />);
    fireEvent.change(screen.getByRole('textbox', { name: 'Text' }), { target: { value: 'keep me' } });
    fireEvent.click(screen.getByRole('tab', { name: 'Image, audio or video' }));
    await waitFor(() =>
      expect(screen.getByText(/no image, audio or video analyzers installed yet/)).toBeTruthy(),
    );
    expect(screen.getByLabelText('Choose a file to analyse')).toBeTruthy();
    fireEvent.click(screen.getByRole('tab', { name: 'Text' }));
    expect((screen.getByRole('textbox', { name: 'Text' }) as HTMLTextAreaElement).value).toBe('keep me');
  });
});

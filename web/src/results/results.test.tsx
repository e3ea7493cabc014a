// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AnalysisResponse } from '../api/analyze';
import sample from '../fixtures/analysis-text.json';
import { AnalysisView } from './AnalysisView';
import { MediaView, wordAt } from './MediaView';
import { Verdict } from './Verdict';

afterEach(cleanup);
const response = sample as unknown as AnalysisResponse;
const TEXT = 'Hi, I am Jane Doe. Call me on +1 415 555 0100 or write to jane.doe@example.com.';

describe('AnalysisView (text)', () => {
  it('puts the decision and its reasons first, marks findings in the text, shows the redacted text', () => {
    render(<AnalysisView response={response} input={{ kind: 'text', text: TEXT }} />);
    const verdict = screen.getByRole('region', { name: 'Safety decision' });
    expect(within(verdict).getByText('Redacted')).toBeTruthy();
    expect(within(verdict).getAllByRole('listitem').length).toBe(4);
    const marks = document.querySelectorAll('.analysed-text mark.pii');
    expect([...marks].map((m) => m.firstChild?.textContent)).toEqual([
      '+1 415 555 0100',
      'jane.doe@example.com',
    ]);
    expect(marks[0]!.textContent).toContain('(personal data: PHONE_NUMBER)');
    expect([...document.querySelectorAll('mark.redaction')].map((m) => m.firstChild?.textContent)).toEqual([
      '<PHONE_NUMBER>',
      '<EMAIL_ADDRESS>',
    ]);
    // Latency per stage: every stage of the answer, in order.
    const stages = screen.getByRole('region', { name: 'Latency per stage' });
    expect(
      within(stages)
        .getAllByRole('listitem')
        .map((li) => li.firstChild?.firstChild?.textContent?.trim()),
    ).toEqual(response.stages.map((s) => s.name));
  });
});

describe('MediaView', () => {
  const transcript = {
    step: 'transcript',
    text: 'hello world',
    language: 'en-US',
    words: [
      { word: 'hello', start: 0.5, end: 0.9, confidence: 0.9 },
      { word: 'world', start: 1.0, end: 1.4, confidence: 0.3 },
    ],
  };

  it('finds the word being spoken', () => {
    expect(wordAt(transcript.words, 0.2)).toBe(-1);
    expect(wordAt(transcript.words, 0.5)).toBe(0);
    expect(wordAt(transcript.words, 1.2)).toBe(1);
    expect(wordAt(transcript.words, 0.95)).toBe(-1);
  });

  it('jumps the player to a word, follows playback, and offers captions from the transcript', () => {
    URL.createObjectURL = vi.fn(() => 'blob:captions');
    URL.revokeObjectURL = vi.fn();
    render(
      <MediaView
        kind="audio"
        src="blob:audio"
        fileName="a.wav"
        transcript={transcript}
        segments={[{ step: 'vad', start: 0.4, end: 1.5 }]}
      />,
    );
    const audio = document.querySelector('audio')!;
    audio.play = vi.fn(() => Promise.resolve());
    fireEvent.click(screen.getByRole('button', { name: /^world, at 0:01.0, confidence 30%/ }));
    expect(audio.currentTime).toBe(1);
    expect(audio.play).toHaveBeenCalled();
    expect(screen.getByRole('button', { name: /^world/ }).getAttribute('aria-current')).toBe('true');
    expect(screen.getByRole('button', { name: /^world/ }).className).toBe('low');
    audio.currentTime = 0.6;
    fireEvent.timeUpdate(audio);
    expect(screen.getByRole('button', { name: /^hello/ }).getAttribute('aria-current')).toBe('true');
    const track = audio.querySelector('track')!;
    expect(track.getAttribute('kind')).toBe('captions');
    expect(track.getAttribute('src')).toBe('blob:captions');
    expect(track.getAttribute('srclang')).toBe('en');
    fireEvent.click(screen.getByRole('button', { name: '0:00.4 – 0:01.5' }));
    expect(audio.currentTime).toBeCloseTo(0.4);
  });
});

describe('Verdict when the policy fails closed', () => {
  it('says the block is caution, not a finding, and names the steps that did not run and why', () => {
    render(
      <Verdict
        safety={{
          ...response.safety,
          action: 'block',
          failClosed: true,
          reasons: [
            {
              type: 'analyzer-failure',
              direction: 'input',
              action: 'block',
              analyzer: 'vad',
              error: 'model "silero_vad" is not found',
              escalated: true,
            },
          ],
        }}
        skipped={{
          vad: { status: 'unavailable', reason: 'model "silero_vad" is not found' },
          transcript: { status: 'skipped', reason: 'dependency vad unavailable' },
        }}
      />,
    );
    const note = screen.getByTestId('fail-closed');
    expect(note.textContent).toContain('not a finding in the content');
    expect([...note.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'vad: model "silero_vad" is not found',
      'transcript: dependency vad unavailable',
    ]);
    expect(note.textContent).toContain('loaded on the Models page');
  });
});

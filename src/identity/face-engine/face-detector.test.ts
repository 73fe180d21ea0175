import { describe, expect, it } from 'vitest';
import type { RawFace } from './face-detector.js';
import { byProminence, isCentred, suppressOverlaps } from './face-detector.js';

const face = (x: number, y: number, side: number, score = 0.9): RawFace => ({
  x,
  y,
  width: side,
  height: side,
  score,
  landmarks: [],
});

describe('face detector helpers', () => {
  it('calls a face centred when its centre lies in the middle half of the image', () => {
    expect(isCentred(face(75, 75, 100), 250, 250)).toBe(true);
    // A bystander at the right edge (centre at x = 0.78 of the width).
    expect(isCentred(face(155, 65, 80), 250, 250)).toBe(false);
    expect(isCentred(face(100, 0, 50), 250, 250)).toBe(false);
  });

  it('puts a centred face before a slightly larger one at the edge', () => {
    const edge = face(150, 0, 100);
    const centre = face(80, 80, 90);
    expect(byProminence([edge, centre], 250, 250)[0]).toBe(centre);
  });

  it('keeps the more confident of two overlapping boxes (the same face found twice)', () => {
    const a = face(50, 50, 100, 0.7);
    const b = face(55, 52, 96, 0.95);
    const other = face(160, 160, 60, 0.6);
    expect(suppressOverlaps([a, b, other])).toEqual([b, other]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { FaceGeometry } from './face-aligner.js';
import type { FaceQuality } from './face-engine.js';
import { chipStatistics, poseOf, qualityProblems } from './face-quality.js';

/** A face with level eyes 60 px apart, the mouth 70 px below them, the nose at `noseX`. */
const face = (noseX: number, roll = 0): FaceGeometry => ({
  leftEye: { x: 40, y: 50 },
  rightEye: { x: 100, y: 50 },
  nose: { x: noseX, y: 93 },
  mouth: { x: 70, y: 120 },
  roll,
});

const good: FaceQuality = { sizePx: 200, sharpness: 30, brightness: 120, rollDeg: 0, yawDeg: 0, pitchDeg: 0 };

describe('poseOf', () => {
  it('reads a frontal face as yaw 0, and a nose at an eye as a profile (|yaw| 90)', () => {
    expect(poseOf(face(70)).yawDeg).toBeCloseTo(0, 6);
    expect(poseOf(face(100)).yawDeg).toBeCloseTo(90, 6);
    expect(poseOf(face(40)).yawDeg).toBeCloseTo(-90, 6);
    expect(Math.abs(poseOf(face(85)).yawDeg)).toBeLessThan(60);
  });

  it('reports the eye-line angle as roll', () => {
    expect(poseOf(face(70, Math.PI / 12)).rollDeg).toBeCloseTo(15, 6);
  });
});

describe('qualityProblems', () => {
  it('passes a usable face', () => {
    expect(qualityProblems(good)).toEqual([]);
  });

  it('names every problem: blurred, turned away, too dark, too bright', () => {
    expect(qualityProblems({ ...good, sharpness: 3 })).toEqual(['blurred']);
    expect(qualityProblems({ ...good, yawDeg: -75 })).toEqual(['turned away']);
    expect(qualityProblems({ ...good, brightness: 10 })).toEqual(['too dark']);
    expect(qualityProblems({ ...good, brightness: 250, sharpness: 1 })).toEqual(['blurred', 'too bright']);
  });

  it('refuses a profile found by poseOf', () => {
    const profile = { ...good, ...poseOf(face(98)) };
    expect(qualityProblems(profile)).toContain('turned away');
  });
});

describe('chipStatistics', () => {
  it('measures brightness, and sharpness that is 0 on a flat chip and high on a checkerboard', () => {
    const flat = tf.fill<tf.Rank.R3>([20, 20, 3], 100);
    expect(chipStatistics(flat)).toEqual({ sharpness: 0, brightness: 100 });
    const pixels = Array.from({ length: 20 * 20 }, (_, i) => (((i % 20) + Math.floor(i / 20)) % 2 ? 255 : 0));
    const board = tf.tensor3d(
      pixels.flatMap((v) => [v, v, v]),
      [20, 20, 3],
    );
    expect(chipStatistics(board).sharpness).toBeGreaterThan(1000);
    tf.dispose([flat, board]);
  });
});

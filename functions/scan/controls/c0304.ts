import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { startsWithAny } from './_images.js';
import { objectRule, parseImage, review } from './_lib.js';
import { SANDBOX_KINDS, sandboxContainers } from './_sandbox.js';

/** Tags that move: they say nothing about what runs (a version tag or a digest does). */
const FLOATING_TAGS = new Set([
  'latest',
  'stable',
  'main',
  'master',
  'edge',
  'nightly',
  'dev',
  'head',
  'canary',
]);

function imagePaths(o: Parameters<typeof sandboxContainers>[0], bad: (raw: string) => boolean): Finding[] {
  const out: Finding[] = [];
  for (const c of sandboxContainers(o, ['containers', 'initContainers'])) {
    const raw = c.container.image;
    if (typeof raw === 'string' && raw !== '' && bad(raw)) out.push(review(at(c.path, '.image')));
  }
  return out;
}

/**
 * Agent Sandbox image provenance: sandbox images come from `imageRepositoryAllowList` (when the
 * operator configured one) and are pinned (a digest, or a tag that is neither missing, `latest` nor
 * another floating name).
 */
export default defineControl({
  id: 'C-0304',
  category: 'Supply chain',
  rules: [
    objectRule(
      'agent-sandbox-image-registry-allowlist',
      SANDBOX_KINDS,
      (o, ctx) => {
        const allow = ctx.inputs.imageRepositoryAllowList ?? [];
        if (allow.length === 0) return [];
        return imagePaths(o, (raw) => !startsWithAny(parseImage(raw), raw, allow));
      },
      { inputs: ['imageRepositoryAllowList'] },
    ),
    objectRule('agent-sandbox-image-tag-provenance', SANDBOX_KINDS, (o) =>
      imagePaths(o, (raw) => {
        const img = parseImage(raw);
        if (img.digest) return false;
        return img.tag === undefined || FLOATING_TAGS.has(img.tag.toLowerCase());
      }),
    ),
  ],
});

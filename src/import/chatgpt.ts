// ChatGPT data export (conversations.json, alone or inside the downloaded .zip). Each
// conversation is a tree in `mapping`; edits and regenerations are sibling branches. We keep
// the branch the user last saw: from `current_node` up through `parent` links to the root.
import type { ImportBundle, RecordSink } from '../domain/bundle.ts';
import { BundleBuilder, Reader, childPath, type Turn } from './common.ts';
import type { JsonDoc } from './json.ts';

/** The account owner, from the export's user file when there is one; `archive` names the .zip. */
export interface ExportOwner { id?: string; name?: string; archive?: string }

export async function parseChatGpt(
  file: string, doc: Extract<JsonDoc, { kind: 'array' }>, owner: ExportOwner, identity: unknown, sink?: RecordSink,
): Promise<ImportBundle> {
  const r = new Reader(file);
  const b = new BundleBuilder('chatgpt', file, sink);
  const person = await b.person(owner.name ?? `ChatGPT export (${owner.archive ?? file})`, owner.id ?? identity, owner.id);
  for (let index = 0; index < doc.length; index++) {
    const path = `$[${index}]`;
    const conv = r.object(doc.item(index), path, 'a ChatGPT conversation object');
    const mapping = r.object(conv.mapping, childPath(path, 'mapping'), 'a "mapping" object of message nodes');
    const turns = activeBranch(r, b, mapping, conv.current_node, path);
    const externalId = r.optionalString(conv.conversation_id ?? conv.id, childPath(path, 'id'));
    const title = r.optionalString(conv.title, childPath(path, 'title')) ?? '';
    const startedAt = r.epochSeconds(conv.create_time, childPath(path, 'create_time'));
    const added = await b.conversation(person.id, turns, { title, startedAt, externalId });
    if (!added) b.count('conversations without visible text were skipped');
  }
  return b.finish();
}

function activeBranch(
  r: Reader, b: BundleBuilder, mapping: Record<string, unknown>, currentNode: unknown, path: string,
): Turn[] {
  const currentPath = childPath(path, 'current_node');
  const leaf = r.string(currentNode, currentPath, 'the id of the current node');
  if (!(leaf in mapping)) r.fail(currentPath, `expected the id of a node in "mapping", found ${JSON.stringify(leaf)}`);
  const turns: Turn[] = [];
  const visited = new Set<string>();
  let nodeId: string | null = leaf;
  while (nodeId !== null) {
    const nodePath = childPath(childPath(path, 'mapping'), nodeId);
    if (visited.has(nodeId)) r.fail(childPath(nodePath, 'parent'), 'expected the parent chain to reach a root, found a cycle');
    visited.add(nodeId);
    const node = r.object(mapping[nodeId], nodePath, 'a message node');
    const turn = readMessage(r, b, node.message, childPath(nodePath, 'message'));
    if (turn) turns.push(turn);
    const parent = node.parent;
    if (parent === null || parent === undefined) break;
    const parentId = r.string(parent, childPath(nodePath, 'parent'), 'a parent node id or null');
    if (!(parentId in mapping)) r.fail(childPath(nodePath, 'parent'), `expected the id of a node in "mapping", found ${JSON.stringify(parentId)}`);
    nodeId = parentId;
  }
  return turns.reverse();
}

function readMessage(r: Reader, b: BundleBuilder, value: unknown, path: string): Turn | null {
  if (value === null || value === undefined) return null; // the tree's empty root
  const message = r.object(value, path, 'a message object or null');
  const author = r.object(message.author, childPath(path, 'author'), 'an author object');
  const role = r.string(author.role, childPath(childPath(path, 'author'), 'role'), 'an author role');
  const metadata = message.metadata && typeof message.metadata === 'object' ? message.metadata as Record<string, unknown> : {};
  if (role !== 'user' && role !== 'assistant') return null; // system and tool messages
  if (metadata.is_visually_hidden_from_conversation === true) return null;
  // Assistant messages addressed to a tool (code, browsing) are calls, not replies.
  if (typeof message.recipient === 'string' && message.recipient !== 'all') return null;
  const contentPath = childPath(path, 'content');
  const content = r.object(message.content, contentPath, 'a content object');
  const type = r.string(content.content_type, childPath(contentPath, 'content_type'), 'a content_type');
  if (type !== 'text' && type !== 'multimodal_text') {
    b.count(`messages of content type "${type}" were skipped (only text is imported)`);
    return null;
  }
  const parts = r.array(content.parts ?? [], childPath(contentPath, 'parts'), 'an array of parts');
  const texts: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      if (part !== '') texts.push(part);
    } else {
      b.count('image or file parts were skipped (only text is imported)');
    }
  }
  if (texts.length === 0) return null;
  return { role, text: texts.join('\n'), time: r.epochSeconds(message.create_time, childPath(path, 'create_time')) };
}

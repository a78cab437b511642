/**
 * Attachments in the chat pane: files on a message (image thumbnails that open
 * full size, file chips that download), and the composer's uploads (attach
 * button, drag and drop, paste; progress and errors per file).
 *
 * The server serves a file only with the bearer token, so images are fetched
 * by the store and shown from `blob:` URLs (`Store.attachmentUrl`).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Attachment } from "../../js/src/index";
import { Modal } from "./modal";
import type { Store } from "./store";

/** Thumbnails fit in this box (CSS pixels), keeping their aspect ratio. */
const THUMB_W = 360;
const THUMB_H = 240;

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function thumbSize(a: Attachment): { width: number; height: number } {
  const w = a.width || THUMB_W;
  const h = a.height || THUMB_H;
  const scale = Math.min(1, THUMB_W / w, THUMB_H / h);
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

/** The files of one message. */
export function AttachmentList({ store, attachments }: { store: Store; attachments: Attachment[] }) {
  if (!attachments.length) return null;
  return (
    <div class="attachments">
      {attachments.map((a, i) => (a.type.startsWith("image/") ? <AttachedImage key={`${a.hash}${i}`} store={store} a={a} /> : <FileChip key={`${a.hash}${i}`} store={store} a={a} />))}
    </div>
  );
}

/** A thumbnail (its box reserved from the stored pixel size, so loading does not move the list); click opens it. */
function AttachedImage({ store, a }: { store: Store; a: Attachment }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    let live = true;
    store
      .attachmentUrl(a.hash, a.name)
      .then((u) => live && setUrl(u))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [a.hash]);
  const size = thumbSize(a);
  return (
    <>
      <button type="button" class="att-image" style={{ width: `${size.width}px`, height: `${size.height}px` }} aria-label={`Open image ${a.name}`} title={a.name} onClick={() => url && setOpen(true)} disabled={!url}>
        {url ? <img src={url} alt={a.name} width={size.width} height={size.height} /> : <span class="att-loading">{failed ? "Image unavailable" : "Loading…"}</span>}
      </button>
      {open && url ? (
        <Modal title={a.name} onClose={() => setOpen(false)} wide>
          <img class="lightbox" src={url} alt={a.name} />
          <p>
            <a href={url} download={a.name}>
              Download
            </a>{" "}
            · {formatSize(a.size)}
            {a.width && a.height ? ` · ${a.width}×${a.height}` : ""}
          </p>
        </Modal>
      ) : null}
    </>
  );
}

/** A non-image file: a chip that downloads it under its name. */
function FileChip({ store, a }: { store: Store; a: Attachment }) {
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const url = await store.attachmentUrl(a.hash, a.name);
      const link = document.createElement("a");
      link.href = url;
      link.download = a.name;
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (e) {
      store.flash(`Could not download ${a.name}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" class="file-chip" onClick={download} disabled={busy} aria-label={`Download ${a.name}, ${formatSize(a.size)}`} title={a.type}>
      <span aria-hidden="true">{a.type === "application/pdf" ? "📕" : a.type === "application/zip" ? "🗜" : "📄"}</span> <span class="file-name">{a.name}</span> <span class="file-size">{formatSize(a.size)}</span>
    </button>
  );
}

// ---- the composer's uploads -------------------------------------------------------------

export interface Upload {
  key: number;
  name: string;
  size: number;
  /** 0..1 */
  progress: number;
  /** A local preview of an image (object URL of the picked file). */
  preview?: string;
  attachment?: Attachment;
  error?: string;
}

export interface Uploads {
  list: Upload[];
  add(files: Iterable<File>): void;
  remove(key: number): void;
  /** Forget every upload (after sending, or on leaving the stream). */
  clear(): void;
  /** Some upload is still in progress. */
  busy: boolean;
  /** The uploaded files, in the order they were added. */
  ready: Attachment[];
}

function uploadError(name: string, e: Error & { code?: string }): string {
  if (e.code === "too_large") return `${name} is too large to attach.`;
  if (e.code === "unsupported_type") return `${name}: only images (PNG, JPEG, GIF, WebP), PDF, text and ZIP files can be attached.`;
  return `${name} was not uploaded: ${e.message}`;
}

let nextKey = 0;

/** Files being attached to the next message in `stream`. */
export function useUploads(store: Store, stream: string): Uploads {
  const [list, setList] = useState<Upload[]>([]);
  const current = useRef(list);
  current.current = list;
  const forget = (items: Upload[]) => items.forEach((u) => u.preview && URL.revokeObjectURL(u.preview));
  useEffect(() => {
    forget(current.current);
    setList([]);
  }, [stream]);
  useEffect(() => () => forget(current.current), []);
  const update = (key: number, change: Partial<Upload>) => setList((l) => l.map((u) => (u.key === key ? { ...u, ...change } : u)));
  return {
    list,
    add(files) {
      for (const file of files) {
        const key = ++nextKey;
        const preview = file.type.startsWith("image/") ? URL.createObjectURL(file) : undefined;
        setList((l) => [...l, { key, name: file.name || "pasted file", size: file.size, progress: 0, preview }]);
        store
          .upload(stream, file, (progress) => update(key, { progress }))
          .then((attachment) => update(key, { attachment, progress: 1 }))
          .catch((e) => update(key, { error: uploadError(file.name || "The file", e) }));
      }
    },
    remove(key) {
      setList((l) => {
        forget(l.filter((u) => u.key === key));
        return l.filter((u) => u.key !== key);
      });
    },
    clear() {
      forget(current.current);
      setList([]);
    },
    busy: list.some((u) => !u.attachment && !u.error),
    ready: list.filter((u) => u.attachment).map((u) => u.attachment!),
  };
}

/** The pending uploads above the composer's text box. */
export function UploadChips({ uploads }: { uploads: Uploads }) {
  if (!uploads.list.length) return null;
  return (
    <ul class="uploads" aria-label="Attachments to send">
      {uploads.list.map((u) => (
        <li key={u.key} class={`upload${u.error ? " failed" : ""}`}>
          {u.preview ? <img src={u.preview} alt="" width={40} height={40} /> : <span aria-hidden="true">📄</span>}
          <span class="file-name">{u.name}</span>
          {u.error ? (
            <span class="error" role="alert">
              {u.error}
            </span>
          ) : u.attachment ? (
            <span class="file-size">{formatSize(u.size)}</span>
          ) : (
            <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />
          )}
          <button type="button" class="icon-btn" aria-label={`Remove ${u.name}`} onClick={() => uploads.remove(u.key)}>
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Files dropped on, or pasted into, an element. */
export function filesOf(data: DataTransfer | null): File[] {
  return data ? [...data.files] : [];
}

/**
 * Files: the device's file system by path (`zdfu fs status / hash / download / upload`), with
 * transfers on the chunked-transfer engine and their progress.
 */
import { useEffect, useState } from 'preact/hooks';
import { downloadFile } from '../../client/transfer/fs-download.ts';
import { uploadFile } from '../../client/transfer/fs-upload.ts';
import { fileHash, fileSize, formatHashOutput } from '../../groups/fs/client.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { Problem, Status } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { TransferProgress } from '../components/transfer-progress.tsx';
import { useTask } from '../components/use-task.ts';
import { useTransferProgress } from '../components/use-transfer.ts';
import type { Connection } from '../connect/connection.ts';
import { byteCount, formatBytes, formatDuration } from '../model/format.ts';
import { isNotSupported } from '../model/problem.ts';

const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

interface Saved {
  readonly name: string;
  readonly url: string;
  readonly size: number;
}

export function FsView(props: { connection: Connection; onRefused: (group: number) => void }) {
  const { device } = props.connection;
  const [path, setPath] = useState('/lfs1/hello.txt');
  const [hashType, setHashType] = useState('sha256');
  const [said, setSaid] = useState<string>();
  const [saved, setSaved] = useState<Saved>();
  const transfer = useTransferProgress();
  const task = useTask<string>((error) => {
    if (isNotSupported(error)) props.onRefused(SmpGroup.Fs);
  });
  useEffect(() => () => saved && URL.revokeObjectURL(saved.url), [saved]);

  const go = async (action: () => Promise<string>) => {
    setSaid(undefined);
    const text = await task.run(action);
    if (text !== undefined) setSaid(text);
  };
  const name = path.trim();
  const status = () =>
    go(async () => {
      const size = await fileSize(device.smp, name);
      return `${name} holds ${byteCount(size)}${size >= 1024 ? ` (${formatBytes(size)})` : ''}.`;
    });
  const hash = () =>
    go(async () => {
      const h = await fileHash(device.smp, name, { type: hashType });
      return `${h.type} of ${name} (${formatBytes(h.len)}): ${formatHashOutput(h.output)}`;
    });
  const download = () =>
    go(async () => {
      transfer.reset();
      const result = await downloadFile(device.transferLink(), name, { onProgress: transfer.onProgress });
      const blob = new Blob([result.data as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
      setSaved({
        name: name.split('/').pop() || 'download.bin',
        url: URL.createObjectURL(blob),
        size: result.data.length,
      });
      return `Downloaded ${name}: ${formatBytes(result.total)} in ${formatDuration(result.elapsedMs)}.`;
    });
  const upload = (file: File) =>
    go(async () => {
      if (file.size > MAX_UPLOAD_BYTES) {
        throw new Error(
          `"${file.name}" is ${formatBytes(file.size)}; the page uploads files up to ${formatBytes(MAX_UPLOAD_BYTES)}.`,
        );
      }
      transfer.reset();
      const data = new Uint8Array(await file.arrayBuffer());
      const result = await uploadFile(device.transferLink(), name, data, {
        onProgress: transfer.onProgress,
        onNotice: (text) => setSaid(text),
      });
      return `Uploaded ${file.name} as ${name}: ${formatBytes(result.total)} in ${formatDuration(result.elapsedMs)}.`;
    });

  const disabled = task.busy || name === '';
  return (
    <ViewSection id="files" title="Files">
      <div class="form-grid">
        <label for="fs-path">Path on the device</label>
        <input
          id="fs-path"
          data-testid="fs-path"
          type="text"
          value={path}
          spellcheck={false}
          onInput={(e) => setPath(e.currentTarget.value)}
        />
        <label for="fs-hash-type">Hash type</label>
        <select
          id="fs-hash-type"
          data-testid="fs-hash-type"
          value={hashType}
          onChange={(e) => setHashType(e.currentTarget.value)}
        >
          <option value="sha256">sha256</option>
          <option value="crc32">crc32</option>
        </select>
      </div>
      <div class="toolbar">
        <button type="button" data-testid="fs-status" disabled={disabled} onClick={status}>
          Status
        </button>
        <button type="button" data-testid="fs-hash" disabled={disabled} onClick={hash}>
          Hash
        </button>
        <button type="button" data-testid="fs-download" disabled={disabled} onClick={download}>
          Download
        </button>
        <label class={disabled ? 'button disabled' : 'button'} for="fs-upload-input">
          Upload a file…
        </label>
        <input
          id="fs-upload-input"
          class="visually-hidden"
          data-testid="fs-upload-input"
          type="file"
          disabled={disabled}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = '';
            if (file) void upload(file);
          }}
        />
      </div>
      {transfer.progress && task.busy ? (
        <TransferProgress progress={transfer.progress} label="Transfer" />
      ) : null}
      <Problem text={task.error} testId="fs-problem" />
      <Status text={task.busy ? 'Working…' : said} testId="fs-result" />
      {saved ? (
        <p>
          <a href={saved.url} download={saved.name} data-testid="fs-save-link">
            Save {saved.name} ({formatBytes(saved.size)})
          </a>
        </p>
      ) : null}
    </ViewSection>
  );
}

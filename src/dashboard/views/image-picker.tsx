/**
 * Picks an image file: drop it on the zone, or choose it with the file dialog (a real file input,
 * so the keyboard works), or take the sample Binary Two signed for the board.
 */
import { useState } from 'preact/hooks';
import { Problem } from '../components/problem.tsx';
import { useTask } from '../components/use-task.ts';
import { type BoardAssetEntry, fetchBytes } from '../connect/board-assets.ts';

/** Files larger than this are refused before reading: no MCUboot slot is near it. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface PickedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

async function readPicked(file: File): Promise<PickedFile> {
  if (file.size > MAX_FILE_BYTES) {
    throw new Error(
      `"${file.name}" is ${file.size} bytes, more than the ${MAX_FILE_BYTES}-byte limit: no MCUboot slot is that large.`,
    );
  }
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

export function ImagePicker(props: {
  sample: BoardAssetEntry | undefined;
  onPicked: (file: PickedFile) => void;
}) {
  const [over, setOver] = useState(false);
  const reading = useTask<PickedFile>();
  const take = async (read: () => Promise<PickedFile>) => {
    const picked = await reading.run(read);
    if (picked) props.onPicked(picked);
  };
  const sample = props.sample;
  return (
    <div class="picker">
      {/* The drop zone is the file input's label: a click or Enter on the input opens the dialog. */}
      <input
        id="image-file"
        class="visually-hidden"
        data-testid="image-file-input"
        type="file"
        accept=".bin,.hex,.img,application/octet-stream"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = '';
          if (file) void take(() => readPicked(file));
        }}
      />
      <label
        for="image-file"
        class={over ? 'dropzone over' : 'dropzone'}
        data-testid="image-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const file = e.dataTransfer?.files[0];
          if (file) void take(() => readPicked(file));
        }}
      >
        <strong>Drop an image file here</strong>
        <span>or click to choose one (.bin or .hex)</span>
      </label>
      {sample ? (
        <button
          type="button"
          data-testid="image-sample"
          disabled={reading.busy}
          onClick={() =>
            take(async () => ({
              name: `${sample.sample.title} ${sample.sample.version} (${sample.name}).signed.bin`,
              bytes: await fetchBytes(sample.sample.file),
            }))
          }
        >
          Or try the sample: {sample.sample.title} {sample.sample.version}, signed for {sample.name}
        </button>
      ) : null}
      <Problem text={reading.error} testId="image-read-problem" />
    </div>
  );
}

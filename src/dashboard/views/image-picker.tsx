/**
 * Picks an image file: drop it on the zone, or choose it with the file dialog (a real file input,
 * so the keyboard works), or take the sample Binary Two signed for the board.
 */
import { useState } from 'preact/hooks';
import { Problem } from '../components/problem.tsx';
import { useTask } from '../components/use-task.ts';
import { type BoardAssetEntry, type BoardImageAsset, fetchBytes } from '../connect/board-assets.ts';

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
        <div class="toolbar">
          <SampleButton
            board={sample.name}
            image={sample.sample}
            testId="image-sample"
            take={take}
            busy={reading.busy}
          />
          {sample.wrongKey ? (
            <SampleButton
              board={sample.name}
              image={sample.wrongKey}
              testId="image-sample-wrong-key"
              take={take}
              busy={reading.busy}
            />
          ) : null}
        </div>
      ) : null}
      <Problem text={reading.error} testId="image-read-problem" />
    </div>
  );
}

/** One of the sample images beside the page, signed for `board`. */
function SampleButton(props: {
  board: string;
  image: BoardImageAsset;
  testId: string;
  busy: boolean;
  take: (read: () => Promise<PickedFile>) => Promise<void>;
}) {
  const { image, board } = props;
  const name = image.file.split('/').pop() ?? image.file;
  return (
    <button
      type="button"
      data-testid={props.testId}
      disabled={props.busy}
      onClick={() =>
        props.take(async () => ({ name: `${board}/${name}`, bytes: await fetchBytes(image.file) }))
      }
    >
      Sample: {image.title} {image.version}
      {image.note ? `, ${image.note}` : ''}
    </button>
  );
}

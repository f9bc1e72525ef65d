/**
 * Image: pick or drop a file, see what it holds (dumpinfo), and update the device with it.
 */
import { useEffect, useState } from 'preact/hooks';
import { Problem } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { type BoardAssetEntry, boardList } from '../connect/board-assets.ts';
import type { Connection } from '../connect/connection.ts';
import { type InspectedFile, inspectFile } from '../model/image-file.ts';
import { ImageDetails } from './image-details.tsx';
import { ImagePicker } from './image-picker.tsx';
import { UpdatePanel } from './update-panel.tsx';

/** The board whose sample to offer: the virtual board's own, else stm32f4_disco's (RSA-2048). */
function useSample(connection: Connection | undefined): BoardAssetEntry | undefined {
  const [sample, setSample] = useState<BoardAssetEntry>();
  useEffect(() => {
    const wanted = connection?.board?.board ?? 'stm32f4_disco';
    boardList().then(
      (boards) => setSample(boards.find((b) => b.name === wanted) ?? boards[0]),
      () => setSample(undefined),
    );
  }, [connection]);
  return sample;
}

export function ImageView({ connection }: { connection: Connection | undefined }) {
  const [file, setFile] = useState<InspectedFile>();
  const sample = useSample(connection);
  return (
    <ViewSection id="image" title="Image file and update">
      <ImagePicker sample={sample} onPicked={(picked) => setFile(inspectFile(picked.name, picked.bytes))} />
      {file && !file.ok ? <Problem text={file.problem} testId="image-problem" /> : null}
      {file?.ok ? (
        <>
          <ImageDetails file={file} />
          {connection ? (
            <UpdatePanel
              key={file.summary.hash ?? file.name}
              connection={connection}
              image={file.bytes}
              version={file.summary.version}
            />
          ) : (
            <p class="hint">Connect to a device to update it with this image.</p>
          )}
        </>
      ) : null}
    </ViewSection>
  );
}

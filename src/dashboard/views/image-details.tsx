/** What an image file holds, as `zdfu image dumpinfo` shows it: a summary, the TLVs, the full dump. */
import { formatDumpInfo } from '../../image/dumpinfo.ts';
import { formatBytes } from '../model/format.ts';
import type { InspectedFile } from '../model/image-file.ts';

export function ImageDetails({ file }: { file: Extract<InspectedFile, { ok: true }> }) {
  const { summary, info } = file;
  return (
    <div class="image-details" data-testid="image-details">
      <dl class="facts">
        <div class="fact">
          <dt>File</dt>
          <dd data-testid="image-name">{file.name}</dd>
        </div>
        <div class="fact">
          <dt>Version</dt>
          <dd data-testid="image-version">{summary.version}</dd>
        </div>
        <div class="fact">
          <dt>Size</dt>
          <dd>
            {formatBytes(summary.imageSize)} image
            {summary.fileSize !== summary.imageSize ? `, ${formatBytes(summary.fileSize)} with padding` : ''}
          </dd>
        </div>
        <div class="fact">
          <dt>Image hash</dt>
          <dd>
            <code class="wrap" data-testid="image-hash">
              {summary.hash ?? 'none (no SHA TLV: MCUboot cannot check it)'}
            </code>
          </dd>
        </div>
        <div class="fact">
          <dt>Signature</dt>
          <dd data-testid="image-signature">
            {summary.signatures.length > 0 ? summary.signatures.join(', ') : 'none (hash only)'}
          </dd>
        </div>
        <div class="fact">
          <dt>Flags</dt>
          <dd>{summary.flags.length > 0 ? summary.flags.join(', ') : 'none'}</dd>
        </div>
      </dl>
      <details data-testid="image-tlvs">
        <summary>{info.decoded.tlvs.length} TLVs (what follows the image: hash, key, signature)</summary>
        <div class="table-wrap">
          <table class="tlvs">
            <caption>TLVs (type-length-value entries after the image)</caption>
            <thead>
              <tr>
                <th scope="col">Offset</th>
                <th scope="col">TLV</th>
                <th scope="col">What it is</th>
              </tr>
            </thead>
            <tbody>
              {info.decoded.tlvs.map((t) => (
                <tr key={t.offset}>
                  <td>
                    <code>0x{t.offset.toString(16)}</code>
                  </td>
                  <td>
                    {t.name}
                    {t.protected ? ' (protected)' : ''}
                  </td>
                  <td class="wrap">{t.meaning}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
      <details>
        <summary>Full dump (imgtool dumpinfo layout)</summary>
        <pre class="dump" data-testid="image-dump">
          {formatDumpInfo(info)}
        </pre>
      </details>
    </div>
  );
}

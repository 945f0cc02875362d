// Choose which organization to look at; shown only when there are several.
import type { OrgMembership } from '../types';

interface Props {
  orgs: OrgMembership[];
  current: string;
  onChange: (code: string) => void;
}

export function OrgSwitcher({ orgs, current, onChange }: Props) {
  return (
    <div class="org-switcher">
      <label class="org-switcher-label" for="org-switcher">
        Organization
      </label>
      <select
        id="org-switcher"
        class="org-switcher-select"
        value={current}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {orgs.map((o) => (
          <option key={o.code} value={o.code}>
            {o.name} ({o.code})
          </option>
        ))}
      </select>
    </div>
  );
}

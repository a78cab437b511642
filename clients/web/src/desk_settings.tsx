/**
 * The desk settings screen (`/desk/settings`): custom statuses, custom ticket
 * fields, saved replies and macros, as the server holds them (`desk_settings`).
 * Admins edit them and save them as a whole (`set_desk_settings`, decided on the
 * version loaded: if someone saved meanwhile, the screen says so and reloads);
 * agents see them read-only. PROTOCOL.md §22, "Desk settings".
 */
import { useEffect, useState } from "preact/hooks";
import type { CannedDef, DeskSettings, FieldDef, MacroDef, StatusDef, TicketStatus } from "../../js/src/index";
import type { Store } from "./store";

const CATEGORIES: TicketStatus[] = ["new", "open", "pending", "on_hold", "solved"];

export function DeskSettingsScreen({ store }: { store: Store }) {
  const [s, setS] = useState<DeskSettings | null>(null);
  const [version, setVersion] = useState(0);
  const [saved, setSaved] = useState("");
  const admin = store.me?.role === "admin";
  const load = () =>
    store.client
      ?.request("desk_settings", {})
      .then((ok) => {
        setS(ok.settings);
        setVersion(ok.version);
      })
      .catch((e) => store.flash(e.message));
  useEffect(() => void load(), []);
  if (!s) return <p>Loading…</p>;
  const save = () =>
    store.client
      ?.request("set_desk_settings", { version, settings: s })
      .then((ok) => {
        setS(ok.settings);
        setVersion(ok.version);
        setSaved(`Saved (version ${ok.version}).`);
      })
      .catch((e) => {
        store.flash(e.code === "conflict" ? "Someone saved the settings meanwhile: reloaded, make your change again." : e.message);
        if (e.code === "conflict") load();
      });
  const edit = <K extends keyof DeskSettings>(key: K, list: DeskSettings[K]) => {
    setSaved("");
    setS({ ...s, [key]: list });
  };
  function rows<T>(key: "statuses" | "fields" | "canned" | "macros", blank: T) {
    const list = s![key] as unknown as T[];
    return {
      list,
      set: (i: number, v: T) => edit(key, list.map((x, j) => (j === i ? v : x)) as never),
      remove: (i: number) => edit(key, list.filter((_, j) => j !== i) as never),
      add: () => edit(key, [...list, blank] as never),
    };
  }
  const st = rows<StatusDef>("statuses", { name: "", category: "pending" });
  const fl = rows<FieldDef>("fields", { name: "", type: "text" });
  const cn = rows<CannedDef>("canned", { name: "", team: "", text: "" });
  const mc = rows<MacroDef>("macros", { name: "", changes: {} });
  const val = (e: Event) => (e.target as HTMLInputElement).value;
  return (
    <form class="desk-settings" aria-label="Desk settings" onSubmit={(e) => (e.preventDefault(), save())}>
      <fieldset disabled={!admin}>
        <h2>Custom statuses</h2>
        <p class="hint">Each is shown under its own name and behaves as its category.</p>
        <ul>
          {st.list.map((x, i) => (
            <li key={i} data-status={x.name}>
              <input aria-label="Status name" name="status-name" value={x.name} onInput={(e) => st.set(i, { ...x, name: val(e) })} />{" "}
              <select aria-label="Category" name="status-category" value={x.category} onChange={(e) => st.set(i, { ...x, category: val(e) as TicketStatus })}>
                {CATEGORIES.map((c) => (
                  <option value={c}>{c.replace("_", " ")}</option>
                ))}
              </select>{" "}
              <button type="button" onClick={() => st.remove(i)}>Remove</button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={st.add}>Add a status</button>
        <h2>Custom fields</h2>
        <ul>
          {fl.list.map((x, i) => (
            <li key={i}>
              <input aria-label="Field name" value={x.name} onInput={(e) => fl.set(i, { ...x, name: val(e) })} />{" "}
              <select aria-label="Field type" value={x.type} onChange={(e) => fl.set(i, { ...x, type: val(e) as FieldDef["type"] })}>
                <option value="text">text</option>
                <option value="number">number</option>
                <option value="choice">choice</option>
              </select>{" "}
              {x.type === "choice" && (
                <input
                  aria-label="Choices, comma-separated"
                  value={(x.choices || []).join(", ")}
                  onInput={(e) => fl.set(i, { ...x, choices: val(e).split(",").map((c) => c.trim()).filter(Boolean) })}
                />
              )}{" "}
              <button type="button" onClick={() => fl.remove(i)}>Remove</button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={fl.add}>Add a field</button>
        <h2>Saved replies</h2>
        <p class="hint">Placeholders: {"{{requester.name}}, {{agent.name}}, {{ticket.id}}, {{ticket.subject}}"}.</p>
        <ul>
          {cn.list.map((x, i) => (
            <li key={i}>
              <input aria-label="Reply name" value={x.name} onInput={(e) => cn.set(i, { ...x, name: val(e) })} />{" "}
              <input aria-label="Team (empty: every team)" placeholder="every team" value={x.team} onInput={(e) => cn.set(i, { ...x, team: val(e) })} />
              <textarea aria-label="Reply text" value={x.text} onInput={(e) => cn.set(i, { ...x, text: val(e) })} />
              <button type="button" onClick={() => cn.remove(i)}>Remove</button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={cn.add}>Add a saved reply</button>
        <h2>Macros</h2>
        <ul>
          {mc.list.map((x, i) => (
            <li key={i}>
              <input aria-label="Macro name" value={x.name} onInput={(e) => mc.set(i, { ...x, name: val(e) })} />{" "}
              <select
                aria-label="Set status"
                value={x.changes.custom_status ?? x.changes.status ?? ""}
                onChange={(e) => {
                  const v = val(e);
                  const custom = st.list.some((c) => c.name === v);
                  const { status: _s, custom_status: _c, ...rest } = x.changes;
                  mc.set(i, { ...x, changes: !v ? rest : custom ? { ...rest, custom_status: v } : { ...rest, status: v as TicketStatus } });
                }}
              >
                <option value="">status unchanged</option>
                {[...CATEGORIES, ...st.list.map((c) => c.name)].map((c) => (
                  <option value={c}>{c.replace("_", " ")}</option>
                ))}
              </select>
              <textarea aria-label="Public reply (optional)" placeholder="public reply" value={x.reply ?? ""} onInput={(e) => mc.set(i, { ...x, reply: val(e) || undefined })} />
              <textarea aria-label="Internal note (optional)" placeholder="internal note" value={x.note ?? ""} onInput={(e) => mc.set(i, { ...x, note: val(e) || undefined })} />
              <button type="button" onClick={() => mc.remove(i)}>Remove</button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={mc.add}>Add a macro</button>
        <p>
          <button type="submit">Save settings</button>{" "}
          <span role="status">{saved}</span>
        </p>
      </fieldset>
      {!admin && <p class="hint">Only admins change these.</p>}
    </form>
  );
}

#!/usr/bin/env bash
# The processing register of a realistic bestuur, for docs/processing-register.md:
# 40 vestigingen, 3 koppelingen, some ended, some with an end date, some with
# outdated terms; the controller set; every article-30 item filled for the
# library koppeling (its supplier's catalogue file gives them all), while the
# shipped TOP dossier entries leave the supplier's facts as gaps. Runs the
# built koppelingd and koppelingctl (swift build) on a temporary register and
# socket, and writes
#   docs/examples/verwerkingsregister.csv   (as Dutch spreadsheets open it)
#   docs/examples/verwerkingsregister.md    (the Markdown export)
#   docs/examples/verwerkingsregister.json  (the JSON export)
#   docs/examples/wijzigingen.txt           (register changes over the period)
# Only times and generated codes differ between runs; the codes are written
# to the temporary directory and removed with it.
#
# Usage: scripts/register-example.sh [OUTPUT_DIR]   (default docs/examples)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/examples}
cd "$root"
swift build --product koppelingd >/dev/null
swift build --product koppelingctl >/dev/null
bin=$(swift build --show-bin-path)
tmp=$(mktemp -d)
trap 'kill "${daemon:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$bin/koppelingd" --database "$tmp/state/koppelingd.db" --socket "$tmp/k.sock" 2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$tmp/k.sock" ] && break; sleep 0.1; done
ctl() { "$bin/koppelingctl" --socket "$tmp/k.sock" "$@"; }

# The bestuur's 40 vestigingen: 10 schools with 4 locations each.
names=("De Regenboog" "Het Kompas" "De Wilgen" "Klavertje Vier" "De Zonnewijzer" "Het Palet" "De Springplank"
    "De Vlinder" "Het Anker" "De Horizon")
{
    echo "brin6;naam"
    for i in $(seq 0 9); do
        for v in 00 01 02 03; do
            printf '%02dRV%s;OBS %s, locatie %d\n' $((10 + i)) "$v" "${names[$i]}" $((10#$v + 1))
        done
    done
} >"$tmp/scholen.csv"
ctl school import "$tmp/scholen.csv" >/dev/null
ctl register controller set --name "Stichting Openbaar Onderwijs Rivierenland" --number 41234 \
    --address "Stationsweg 12, 4001 AB Tiel" --contact "0344 123 456, bestuursbureau@oor.example" \
    --fg-name "R. de Groot" --fg-email fg@oor.example >/dev/null

# A third koppeling, loaded from a catalogue file.
cat >"$tmp/catalogus.json" <<'JSON'
[{"id": "bibliotheek-op-school", "category": "Bibliotheek", "name": "Bibliotheek op school",
  "description": "Leerlinggegevens voor het lenen van boeken in de schoolbibliotheek",
  "supplier": "Bibliotheek Rivierenland", "price_cents": 1250,
  "terms_text": "Gebruikersvoorwaarden Bibliotheek op school\n\n1. De bibliotheek gebruikt de gegevens alleen voor het uitlenen.\n2. De school kan de koppeling op elk moment beëindigen.",
  "terms_version": "2025.1", "recommended_prerequisite": null, "carries_eckid_import": false,
  "data_set": {"profile": "UWLR Leerlinggegevens – Smalle set (deel)", "fields": [
    {"name": "leerling_key", "description": "De sleutel van de leerling in de leerlingadministratie", "data_subjects": ["leerling"]},
    {"name": "roepnaam", "description": "Roepnaam van de leerling", "data_subjects": ["leerling"]},
    {"name": "achternaam", "description": "Achternaam van de leerling", "data_subjects": ["leerling"]},
    {"name": "groep", "description": "De groep (klas) van de leerling", "data_subjects": ["leerling"]}]},
  "purpose": "Leerlingen boeken laten lenen in de schoolbibliotheek en de uitleen per groep bijhouden.",
  "processor_agreement": {"name": "Model Verwerkersovereenkomst Privacyconvenant Onderwijs", "version": "4.0"},
  "legal_basis": "Uitvoering van een taak van algemeen belang (AVG artikel 6 lid 1 onder e): het onderwijs van de school",
  "retention": "Tot drie maanden nadat de leerling de school heeft verlaten; uitleengegevens na één jaar",
  "recipients": "Bibliotheek Rivierenland (verwerker); subverwerker: Hosting Noord B.V. (opslag)",
  "transfers": "Opslag in Nederland; geen doorgifte buiten de EER",
  "security": "Beveiligingsbijlage bij de verwerkersovereenkomst (versie 2025), ISO 27001-certificaat van de hostingpartij"}]
JSON
ctl catalog load "$tmp/catalogus.json" >/dev/null

# activate KOPPELING FIRST LAST [extra flags]: the schools of the bestuur's
# schools FIRST..LAST (0-based, in list order), codes generated.
activate() {
    local koppeling=$1 first=$2 last=$3
    shift 3
    sed -n "$((first + 2)),$((last + 2))p" "$tmp/scholen.csv" | cut -d';' -f1 >"$tmp/rij.csv"
    ctl activate --koppeling "$koppeling" --name "M. de Bruin (bestuurssecretaris)" --agree \
        --schools-file "$tmp/rij.csv" --generate-codes "$tmp/codes-$koppeling-$first.csv" "$@" >/dev/null
}
activate topdossier 0 39
activate topdossier-eckid 0 23
activate bibliotheek-op-school 0 11
activate bibliotheek-op-school 12 15 --end-date 2027-07-31

# Two locations closed, one library koppeling ended by the school.
ctl deactivate --school 19RV02 --koppeling topdossier --reason "locatie gesloten" >/dev/null
ctl deactivate --school 19RV03 --koppeling topdossier --reason "locatie gesloten" >/dev/null
ctl deactivate --school 10RV01 --koppeling bibliotheek-op-school --reason "eigen bibliotheeksysteem" >/dev/null

# New library terms: the remaining activations are outdated until accepted
# again; four schools have done so.
sed -e 's/"2025.1"/"2026.1"/' -e 's/alleen voor het uitlenen./alleen voor het uitlenen en de jaarlijkse leesmonitor./' \
    "$tmp/catalogus.json" >"$tmp/catalogus-2026.json"
ctl catalog load "$tmp/catalogus-2026.json" >/dev/null
for school in 10RV00 10RV02 10RV03 11RV00; do
    ctl reaccept --school "$school" --koppeling bibliotheek-op-school --name "M. de Bruin (bestuurssecretaris)" \
        --agree >/dev/null
done

mkdir -p "$out"
ctl register export --include-ended --format csv --output "$out/verwerkingsregister.csv"
ctl register export --include-ended --format markdown --output "$out/verwerkingsregister.md"
ctl register export --include-ended --format json --output "$out/verwerkingsregister.json"
ctl register changes --from "$(date +%Y)-01-01" --to "$(date +%Y)-12-31" >"$out/wijzigingen.txt"
ctl status

-- The shipped ECKiD entry said its purpose was to link data from digital
-- learning materials to the right pupil "zonder andere persoonsgegevens te
-- delen", while its data set sends the pupils' names and birth dates and the
-- teachers' names and e-mail addresses (docs/catalogue-fields.md), and its
-- terms named pupil data only. What a school agrees to cannot change under a
-- version it knows (consent_changed): the truthful purpose and terms come as
-- version 2024.2, and every active ECKiD activation is outdated until someone
-- accepts again (koppelingctl reaccept). Only the entry as shipped: one an
-- administrator has loaded since is left as it is.
UPDATE catalog_entry SET
    terms_version = '2024.2',
    purpose = 'TOP dossier vullen met de leerlingen, groepen en leerkrachten van de school, met het leerlingnummer en het ECK iD van elke leerling, zodat leerkrachten het dossier van hun leerlingen in TOP dossier kunnen bijhouden en gegevens uit digitale leermiddelen aan de juiste leerling worden gekoppeld. Naast het ECK iD ontvangt TOP dossier de naam, geboortedatum, groep en jaargroep van elke leerling en de naam, het e-mailadres en de groepen van elke leerkracht.',
    terms_text = 'Gebruikersvoorwaarden TOP Dossier – ECKiD (UWLR Leerlinggegevens), versie 2024.2

1. Met het activeren van deze koppeling geeft de school TOP dossier opdracht
   uit de leerlingadministratie te ontvangen volgens de UWLR-standaard: van
   elke leerling de naam, geboortedatum, groep, jaargroep, het leerlingnummer
   en het ECK iD, en van elke leerkracht de naam, het e-mailadres en de
   groepen.
2. Het ECK iD wordt uitsluitend gebruikt voor het doel waarvoor de school de
   koppeling activeert, volgens het Convenant Digitale Onderwijsmiddelen en
   Privacy.
3. De verificatiecode die de school bij het activeren kiest, wordt in TOP
   dossier ingevoerd als autorisatiesleutel; de school bewaart hem zorgvuldig.
4. De school kan de koppeling op elk moment deactiveren; daarna worden geen
   gegevens meer uitgewisseld.'
WHERE id = 'topdossier-eckid' AND terms_version = '2024.1'
  AND purpose LIKE '%zonder andere persoonsgegevens te delen.';

INSERT INTO terms (koppeling_id, version, text, sha256, first_loaded_at)
SELECT id, terms_version, terms_text, sha256_hex(terms_text), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM catalog_entry WHERE id = 'topdossier-eckid' AND terms_version = '2024.2'
ON CONFLICT (koppeling_id, version) DO NOTHING;

INSERT INTO consent_document (koppeling_id, version, document, sha256, recorded_at, recorded_at_upgrade)
SELECT id, terms_version, document, sha256_hex(document), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 0
FROM catalog_consent WHERE id = 'topdossier-eckid' AND terms_version = '2024.2'
ON CONFLICT (koppeling_id, version) DO NOTHING;

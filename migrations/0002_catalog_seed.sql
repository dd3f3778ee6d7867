-- The catalogue shipped with koppelingd: the two TOP dossier koppelingen
-- from the LAS vendor's guide, category "UWLR Leerlinggegevens".

INSERT INTO catalog_entry (id, category, name, description, supplier, price_cents,
                           terms_text, terms_version, recommended_prerequisite,
                           carries_eckid_import, sort_order)
VALUES
('topdossier', 'UWLR Leerlinggegevens', 'TOP dossier',
 'UWLR koppeling voor het uitwisselen van leerlinggegevens met TOP dossier',
 'TOP dossier', NULL,
 'Gebruikersvoorwaarden TOP dossier (UWLR Leerlinggegevens)

1. Met het activeren van deze koppeling geeft de school TOP dossier opdracht
   leerlinggegevens uit de leerlingadministratie te ontvangen volgens de
   UWLR-standaard.
2. De school blijft verwerkingsverantwoordelijke; TOP dossier verwerkt de
   gegevens uitsluitend als verwerker volgens de verwerkersovereenkomst.
3. De school kan de koppeling op elk moment deactiveren; daarna worden geen
   gegevens meer uitgewisseld.',
 '2024.1', NULL, 0, 10),
('topdossier-eckid', 'UWLR Leerlinggegevens', 'TOP Dossier – ECKiD',
 'UWLR koppeling waarin het leerlingnummer & ECK-Id meegeleverd wordt',
 'TOP dossier', NULL,
 'Gebruikersvoorwaarden TOP Dossier – ECKiD (UWLR Leerlinggegevens)

1. Met het activeren van deze koppeling geeft de school TOP dossier opdracht
   leerlinggegevens, het leerlingnummer en de ECK-iD uit de
   leerlingadministratie te ontvangen volgens de UWLR-standaard.
2. De ECK-iD wordt uitsluitend gebruikt voor het doel waarvoor de school de
   koppeling activeert, volgens het Convenant Digitale Onderwijsmiddelen en
   Privacy.
3. De verificatiecode die de school bij het activeren kiest, wordt in TOP
   dossier ingevoerd als autorisatiesleutel; de school bewaart hem zorgvuldig.
4. De school kan de koppeling op elk moment deactiveren; daarna worden geen
   gegevens meer uitgewisseld.',
 '2024.1', 'topdossier', 1, 20);

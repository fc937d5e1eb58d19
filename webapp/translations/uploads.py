# ruff: noqa: E501  (catalog sentences are kept whole so they can be searched for)
"""Spanish for the bulk-upload section (and the file layer's messages it shows)."""

ES: dict[str, str] = {
    # history
    "Bulk uploads": "Cargas masivas",
    "Every file checked or sent for this partner, newest first. Open one to see its report.": (
        "Cada archivo revisado o enviado para este socio, los más recientes primero. Abra uno para ver su informe."
    ),
    "New upload": "Nueva carga",
    "When": "Cuándo",
    "File": "Archivo",
    "Kind": "Tipo",
    "Status": "Estado",
    "Rows": "Filas",
    "Valid": "Válidas",
    "Invalid": "Inválidas",
    "Duplicate": "Duplicadas",
    "Created": "Creadas",
    "Failed": "Fallidas",
    "By": "Por",
    "No uploads yet.": "Todavía no hay cargas.",
    "Upload a CSV or Excel file to check it before anything is sent.": (
        "Suba un archivo CSV o Excel para revisarlo antes de enviar nada."
    ),
    "Cards": "Tarjetas",
    "Cardholders": "Tarjetahabientes",
    # statuses
    "Checked, not sent": "Revisada, no enviada",
    "Sending": "Enviando",
    "Outcome unknown": "Resultado desconocido",
    "Queued": "En cola",
    "Processing": "Procesando",
    "Completed": "Completada",
    # new upload
    "What the file holds": "Qué contiene el archivo",
    "New cardholders (one row per person, with their card)": (
        "Nuevos tarjetahabientes (una fila por persona, con su tarjeta)"
    ),
    "New cards for existing cardholders (documentType, documentNumber, cardId)": (
        "Nuevas tarjetas para tarjetahabientes existentes (documentType, documentNumber, cardId)"
    ),
    "Sheet": "Hoja",
    "{name} has several sheets. Choose the one that holds the rows.": (
        "{name} tiene varias hojas. Elija la que contiene las filas."
    ),
    "CSV (comma or semicolon; UTF-8, UTF-16 or Windows-1252), XLSX or XLS, up to {mb} MB. The type is checked "
    "by the file's content. Nothing is sent until you confirm.": (
        "CSV (coma o punto y coma; UTF-8, UTF-16 o Windows-1252), XLSX o XLS, hasta {mb} MB. El tipo se comprueba "
        "por el contenido del archivo. No se envía nada hasta que usted confirme."
    ),
    "Expected columns": "Columnas esperadas",
    "Cardholders:": "Tarjetahabientes:",
    "Cards:": "Tarjetas:",
    "Headers match ignoring case, spaces and accents. When they do not, you assign the columns once and we "
    "remember it.": (
        "Los encabezados se comparan sin mayúsculas, espacios ni acentos. Si no coinciden, usted asigna las "
        "columnas una vez y lo recordamos."
    ),
    "Check the file": "Revisar el archivo",
    "Checking…": "Revisando…",
    "Cancel": "Cancelar",
    "Choose a CSV, XLSX or XLS file.": "Elija un archivo CSV, XLSX o XLS.",
    "The file is larger than 16 MB.": "El archivo supera los 16 MB.",
    "Row {row}: {problem}": "Fila {row}: {problem}",
    # mapping
    "Assign the columns": "Asignar las columnas",
    "The headers of {name} do not name every field. Say which column holds each one; we remember your choice "
    "for this partner's next files.": (
        "Los encabezados de {name} no nombran todos los campos. Indique qué columna contiene cada uno; "
        "recordaremos su elección para los próximos archivos de este socio."
    ),
    "Field": "Campo",
    "Column in your file": "Columna en su archivo",
    "— choose —": "— elegir —",
    "Use these columns and check": "Usar estas columnas y revisar",
    "Choose another file": "Elegir otro archivo",
    "Choose the column that holds this field.": "Elija la columna que contiene este campo.",
    "This column is already used for {field}.": "Esta columna ya se usa para {field}.",
    "The file is no longer kept. Choose it again.": "El archivo ya no se conserva. Elíjalo de nuevo.",
    "The file can no longer be read. Choose it again.": "El archivo ya no se puede leer. Elíjalo de nuevo.",
    # dry run and confirm
    "Upload": "Carga",
    "sheet": "hoja",
    "checked by {name}, {when}": "revisada por {name}, {when}",
    "The CMS said:": "El CMS respondió:",
    "The CMS did not answer in time, so we do not know whether the file arrived. Sending again is safe: it "
    "carries the same key, so the CMS creates at most one batch.": (
        "El CMS no respondió a tiempo, así que no sabemos si el archivo llegó. Enviarlo de nuevo es seguro: "
        "lleva la misma clave, de modo que el CMS crea como máximo un lote."
    ),
    "This exact file was already sent before.": "Este mismo archivo ya se envió antes.",
    "Open that upload": "Abrir esa carga",
    "Ignored columns:": "Columnas ignoradas:",
    "Problems found": "Problemas encontrados",
    "Error report:": "Informe de errores:",
    "— the rows with problems as you wrote them, plus what to fix: correct them and upload again.": (
        "— las filas con problemas tal como las escribió, y qué corregir: corríjalas y súbalas de nuevo."
    ),
    "— values masked (the file is no longer kept).": "— valores enmascarados (el archivo ya no se conserva).",
    "The error report holds the file's personal data: only the operator who uploaded it, or one allowed to see personal data, may download it.": (
        "El informe de errores contiene los datos personales del archivo: solo puede descargarlo el operador "
        "que lo subió o uno autorizado a ver datos personales."
    ),
    "Row": "Fila",
    "Problem": "Problema",
    "Value": "Valor",
    "(same as row {row})": "(igual que la fila {row})",
    "{n} more problems were counted but not listed.": "Se contaron {n} problemas más que no se listan.",
    "No problems: every row is valid.": "Sin problemas: todas las filas son válidas.",
    "Confirm below to send the file.": "Confirme abajo para enviar el archivo.",
    "Send to the CMS": "Enviar al CMS",
    "Rows with problems": "Filas con problemas",
    "Send only the valid rows; the others stay out": "Enviar solo las filas válidas; las demás quedan fuera",
    "Send nothing until every row is valid": "No enviar nada hasta que todas las filas sean válidas",
    "{n} rows will be converted to Excel and sent once. The CMS creates the cardholders in the background; you "
    "can follow it here.": (
        "{n} filas se convertirán a Excel y se enviarán una sola vez. El CMS crea los tarjetahabientes en "
        "segundo plano; puede seguirlo aquí."
    ),
    "Send {n} rows": "Enviar {n} filas",
    "Sending…": "Enviando…",
    "Upload a corrected file": "Subir un archivo corregido",
    "The file has rows with problems. Fix them and upload it again, or send only the valid rows.": (
        "El archivo tiene filas con problemas. Corríjalas y súbalo de nuevo, o envíe solo las filas válidas."
    ),
    "No row is valid: there is nothing to send.": "Ninguna fila es válida: no hay nada que enviar.",
    "The checked file is no longer kept. Upload it again.": "El archivo revisado ya no se conserva. Súbalo de nuevo.",
    "This file was already sent; here is its progress.": "Este archivo ya se envió; aquí está su progreso.",
    "Already being sent": "Ya se está enviando",
    "This file is already being sent. Reload the page in a moment to see its progress.": (
        "Este archivo ya se está enviando. Recargue la página en un momento para ver su progreso."
    ),
    "The file cannot be sent": "El archivo no se puede enviar",
    "This action needs a fresh code: send one and enter it.": (
        "Esta acción necesita un código nuevo: solicítelo e ingréselo."
    ),
    "{count} rows sent. The CMS is processing them now.": "{count} filas enviadas. El CMS las está procesando.",
    # progress and report
    "Rows processed": "Filas procesadas",
    "{n} created": "{n} creadas",
    "{n} failed": "{n} fallidas",
    "Still processing — no news from the CMS for a while. The batch goes on there; this is not a failure.": (
        "Todavía en proceso: el CMS no da noticias desde hace un rato. El lote sigue allí; esto no es un fallo."
    ),
    "Refresh": "Actualizar",
    "Finished. Fetching the outcome of every row…": "Terminado. Obteniendo el resultado de cada fila…",
    "Outcome of every row": "Resultado de cada fila",
    "Outcome": "Resultado",
    "Message": "Mensaje",
    "Download:": "Descargar:",
    "Open the cardholder list": "Abrir la lista de tarjetahabientes",
    # the file layer and the dry run
    "Already sent in an earlier upload of this partner.": "Ya se envió en una carga anterior de este socio.",
    "Same value as an earlier row of this file.": "Mismo valor que una fila anterior de este archivo.",
    "Already used by an existing cardholder or card.": "Ya lo usa un tarjetahabiente o una tarjeta existente.",
    "Required columns are missing from the header row.": "Faltan columnas obligatorias en la fila de encabezados.",
    "Some columns appear more than once in the header row.": (
        "Algunas columnas aparecen más de una vez en la fila de encabezados."
    ),
    "The column mapping names unknown fields.": "La asignación de columnas nombra campos desconocidos.",
    "The file has no header row.": "El archivo no tiene fila de encabezados.",
    "The file is a damaged zip archive.": "El archivo es un zip dañado.",
    "The file is a web page or XML document, not a table.": "El archivo es una página web o un XML, no una tabla.",
    "The file is empty.": "El archivo está vacío.",
    "The file is larger than the allowed size.": "El archivo supera el tamaño permitido.",
    "The file is neither a spreadsheet nor text.": "El archivo no es una hoja de cálculo ni texto.",
    "The file is not an Excel workbook (.xlsx or .xls).": "El archivo no es un libro de Excel (.xlsx o .xls).",
    "The file's text encoding could not be read (save it as UTF-8).": (
        "No se pudo leer la codificación del texto (guárdelo como UTF-8)."
    ),
    "The row has too many columns.": "La fila tiene demasiadas columnas.",
    "The row is not valid CSV.": "La fila no es CSV válido.",
    "The sheet could not be read.": "No se pudo leer la hoja.",
    "The sheet does not exist.": "La hoja no existe.",
    "The workbook contains an XML document type declaration, which is not allowed.": (
        "El libro contiene una declaración de tipo de documento XML, que no está permitida."
    ),
    "The workbook could not be read.": "No se pudo leer el libro.",
    "The workbook has a part in an unsupported encoding.": "El libro tiene una parte con una codificación no admitida.",
    "The workbook has no sheets.": "El libro no tiene hojas.",
    "The workbook has too many internal parts.": "El libro tiene demasiadas partes internas.",
    "The workbook would unpack to more than the allowed size.": (
        "El libro se descomprimiría a más del tamaño permitido."
    ),
    "The workbook is compressed suspiciously well (possible zip bomb).": (
        "El libro está comprimido de forma sospechosa (posible bomba zip)."
    ),
    "The workbook unpacks to more than it declares.": "El libro se descomprime a más de lo que declara.",
    "The workbook is damaged or encrypted.": "El libro está dañado o cifrado.",
    "The zip archive is not an Excel workbook (.xlsx).": "El archivo zip no es un libro de Excel (.xlsx).",
    "The workbook is password-protected; save it without a password.": (
        "El libro está protegido con contraseña; guárdelo sin contraseña."
    ),
    "The converted workbook is larger than 16 MB; split the file.": (
        "El libro convertido supera los 16 MB; divida el archivo."
    ),
    # issue 14: the dry run predicts the send
    "This card is not free for this partner: the CMS would refuse the row.": (
        "Esta tarjeta no está libre para este socio: el CMS rechazaría la fila."
    ),
    "Required columns are missing": "Faltan columnas obligatorias",
    "Sheet read:": "Hoja leída:",
    "Check this sheet instead": "Revisar esta hoja",
    "Only the CMS can check these, when the file is sent:": "Solo el CMS puede comprobar esto, al enviar el archivo:",
    "Whether each card is free for this partner.": "Si cada tarjeta está libre para este socio.",
    "Whether a cardholder with that document exists and is not closed.": (
        "Si existe un tarjetahabiente con ese documento y no está cerrado."
    ),
    "Whether a document number or e-mail is already used by a cardholder registered outside these uploads.": (
        "Si un número de documento o un correo ya lo usa un tarjetahabiente registrado fuera de estas cargas."
    ),
    "This CMS does not offer the list of the partner's cards.": (
        "Este CMS no ofrece la lista de tarjetas del socio."
    ),
    "Your account may not list the partner's cards.": "Su cuenta no puede listar las tarjetas del socio.",
    "The CMS did not answer when asked.": "El CMS no respondió a la consulta.",
    "Line breaks inside a cell are sent as spaces: {n} rows (rows {rows}).": (
        "Los saltos de línea dentro de una celda se envían como espacios: {n} filas (filas {rows})."
    ),
    "Dry run": "Revisión previa",
    "No problems in the checks the console can make.": "Sin problemas en las revisiones que la consola puede hacer.",
    "Sent: outcome from the CMS": "Enviado: resultado del CMS",
    "No column of the file is named after these required fields:": (
        "Ninguna columna del archivo lleva el nombre de estos campos obligatorios:"
    ),
    "Every field above is required. Columns of your file that no field uses are not sent.": (
        "Todos los campos son obligatorios. Las columnas de su archivo que ningún campo usa no se envían."
    ),
}

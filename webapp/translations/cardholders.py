"""Spanish for the cardholder pages, forms and the shared cardholder rules' messages."""

ES: dict[str, str] = {
    # list
    "New cardholder": "Nuevo tarjetahabiente",
    "Edit cardholder": "Editar tarjetahabiente",
    "Breadcrumb": "Ruta de navegación",
    "Search": "Buscar",
    "Keyboard shortcut": "Atajo de teclado",
    "Email, phone or document number": "Correo, teléfono o número de documento",
    "Matches part of an email, phone or document number.": (
        "Busca parte de un correo, teléfono o número de documento."
    ),
    "Status": "Estado",
    "All": "Todos",
    "Per page": "Por página",
    "Loading…": "Cargando…",
    "The search in this link belongs to another session, so it is not shown. Showing all cardholders.": (
        "La búsqueda de este enlace pertenece a otra sesión, por eso no se muestra. "
        "Se muestran todos los tarjetahabientes."
    ),
    "The list could not be loaded: the CMS did not answer.": (
        "No se pudo cargar la lista: el CMS no respondió."
    ),
    "Try again": "Reintentar",
    "{count} cardholders match the search": "{count} tarjetahabientes coinciden con la búsqueda",
    "{count} cardholders": "{count} tarjetahabientes",
    "Export (masked):": "Exportar (enmascarado):",
    "Name": "Nombre",
    "Last name": "Apellido",
    "Phone": "Teléfono",
    "Document": "Documento",
    "Created": "Creado",
    "Cards": "Tarjetas",
    "Keys: / search · j k or ↑ ↓ move · Enter opens": "Teclas: / buscar · j k o ↑ ↓ moverse · Intro abre",
    "No cardholders match": "Ningún tarjetahabiente coincide",
    "Check the spelling, or search by another field: email, phone or document number.": (
        "Revise lo escrito o busque por otro dato: correo, teléfono o número de documento."
    ),
    "No cardholders yet": "Aún no hay tarjetahabientes",
    "Cardholders created here or by bulk upload will be listed here.": (
        "Aquí aparecerán los tarjetahabientes creados en esta consola o por carga masiva."
    ),
    # detail and reveal
    "Contact and identity": "Contacto e identidad",
    "Shown once and recorded in the audit trail. Reload the page to mask it again.": (
        "Se muestra una sola vez y queda registrado en la auditoría. "
        "Recargue la página para volver a ocultarlo."
    ),
    "Revealing shows the full document number, phone and email, and is recorded in the audit trail.": (
        "Revelar muestra el número de documento, el teléfono y el correo completos, y queda registrado en la "
        "auditoría."
    ),
    "Reveal": "Revelar",
    "Back to the cardholder": "Volver al tarjetahabiente",
    "The CMS asks for a fresh code to show this data: send one and enter it.": (
        "El CMS pide un código nuevo para mostrar estos datos: envíe uno e ingréselo."
    ),
    "Edit": "Editar",
    "Profile": "Perfil",
    "Address": "Dirección",
    "Country of birth": "País de nacimiento",
    "Date of birth": "Fecha de nacimiento",
    "Marital status": "Estado civil",
    "Gender": "Género",
    "Closed": "Cerrado",
    "Your permissions do not include viewing cards.": "Sus permisos no incluyen ver tarjetas.",
    "Card": "Tarjeta",
    "Number": "Número",
    "Balance": "Saldo",
    "Expires": "Vence",
    "Actions": "Acciones",
    "Activate": "Activar",
    "Block": "Bloquear",
    "Unblock": "Desbloquear",
    "No cards": "Sin tarjetas",
    "History in this console": "Historial en esta consola",
    "When": "Cuándo",
    "What": "Qué",
    "Who": "Quién",
    "Outcome": "Resultado",
    "Nothing has been done to this cardholder through the console yet.": (
        "Aún no se ha hecho nada con este tarjetahabiente desde la consola."
    ),
    "Edited": "Editado",
    "Personal data revealed": "Datos personales revelados",
    "Card activated": "Tarjeta activada",
    "Card blocked": "Tarjeta bloqueada",
    "Card unblocked": "Tarjeta desbloqueada",
    "active": "activo",
    "inactive": "inactivo",
    "closed": "cerrado",
    "blocked": "bloqueada",
    "Blocked": "Bloqueada",  # a card's status badge, capitalised as every status badge is
    "cancelled": "cancelada",
    "success": "correcto",
    "refused": "rechazado",
    "unknown": "desconocido",
    "failure": "fallido",
    "denied": "denegado",
    # create and edit
    "The CMS did not confirm in time whether the cardholder was created. Submitting this form again is "
    "safe: it carries the same key, so the CMS will not create the cardholder twice.": (
        "El CMS no confirmó a tiempo si el tarjetahabiente se creó. "
        "Enviar de nuevo este formulario es seguro: lleva la misma clave, "
        "así que el CMS no lo creará dos veces."
    ),
    "Some fields need attention.": "Algunos campos necesitan corrección.",
    "Person": "Persona",
    "Contact": "Contacto",
    "Current phone: {phone} · current email: {email}": "Teléfono actual: {phone} · correo actual: {email}",
    "Identity and card": "Identidad y tarjeta",
    "Start typing in Card to pick one of this partner's free cards.": (
        "Empiece a escribir en Tarjeta para elegir una de las tarjetas libres de este socio."
    ),
    "Create cardholder": "Crear tarjetahabiente",
    "Save changes": "Guardar cambios",
    "Cancel": "Cancelar",
    "Choose…": "Elija…",
    "Two-letter ISO code, e.g. GT.": "Código ISO de dos letras, p. ej. GT.",
    "YYYY-MM-DD": "AAAA-MM-DD",
    "Phone number": "Número de teléfono",
    "Digits with the country code, no +, e.g. 50230001234.": (
        "Dígitos con el código de país, sin +, p. ej. 50230001234."
    ),
    "Document type": "Tipo de documento",
    "Document number": "Número de documento",
    "DPI: 13 digits. NIT: 2 to 12 digits, optionally ending in K.": (
        "DPI: 13 dígitos. NIT: de 2 a 12 dígitos, opcionalmente terminado en K."
    ),
    "The id of a free card of this partner.": "El id de una tarjeta libre de este socio.",
    "New phone number": "Nuevo número de teléfono",
    "Leave empty to keep the current one.": "Déjelo vacío para conservar el actual.",
    "New email": "Nuevo correo",
    "Single (soltero)": "Soltero",
    "Married (casado)": "Casado",
    "Widowed (viudo)": "Viudo",
    "Divorced (divorciado)": "Divorciado",
    "Separated (separado)": "Separado",
    "Female (F)": "Femenino (F)",
    "Male (M)": "Masculino (M)",
    "Other (OTHER)": "Otro (OTHER)",
    "Cardholder created.": "Tarjetahabiente creado.",
    "This form was already submitted: here is the cardholder it created.": (
        "Este formulario ya se había enviado: este es el tarjetahabiente que creó."
    ),
    "This form could not be matched to your session. Check the data and submit again.": (
        "Este formulario no corresponde a su sesión. Revise los datos y envíelo de nuevo."
    ),
    "This form is already being submitted. Check the list before submitting again.": (
        "Este formulario ya se está enviando. Revise la lista antes de enviarlo otra vez."
    ),
    "Nothing changed.": "No hubo cambios.",
    "Changes saved.": "Cambios guardados.",
    # close and card actions
    "Close cardholder": "Cerrar tarjetahabiente",
    "Close {name}?": "¿Cerrar a {name}?",
    "Closing cannot be undone.": "El cierre no se puede deshacer.",
    "Every card of this cardholder is cancelled.": "Se cancelan todas las tarjetas de este tarjetahabiente.",
    "Their {count} card(s) still in use will be cancelled:": "Se cancelarán sus {count} tarjeta(s) en uso:",
    "They have no card in use.": "No tiene tarjetas en uso.",
    "Close cardholder and cancel cards": "Cerrar tarjetahabiente y cancelar tarjetas",
    "Keep it open": "Mantenerlo abierto",
    "Reason for closing": "Motivo del cierre",
    "Reason for blocking": "Motivo del bloqueo",
    "Give a reason.": "Indique un motivo.",
    "This cardholder is already closed.": "Este tarjetahabiente ya está cerrado.",
    "Cardholder closed. Their cards are cancelled.": (
        "Tarjetahabiente cerrado. Sus tarjetas quedaron canceladas."
    ),
    "Activate card": "Activar tarjeta",
    "Block card": "Bloquear tarjeta",
    "Unblock card": "Desbloquear tarjeta",
    "The card can be used for payments once it is active.": (
        "La tarjeta podrá usarse para pagos una vez activa."
    ),
    "Payments with this card are refused until it is unblocked.": (
        "Los pagos con esta tarjeta se rechazan hasta que se desbloquee."
    ),
    "The card can be used for payments again.": "La tarjeta podrá volver a usarse para pagos.",
    "Card activated.": "Tarjeta activada.",
    "Card blocked.": "Tarjeta bloqueada.",
    "Card unblocked.": "Tarjeta desbloqueada.",
    # the shared cardholder rules (webapp/cardholders/rules.py)
    "This field is required.": "Este campo es obligatorio.",
    "Use at most 100 characters.": "Use como máximo 100 caracteres.",
    "Use at most 200 characters.": "Use como máximo 200 caracteres.",
    "Use at most 254 characters.": "Use como máximo 254 caracteres.",
    "Starts with a formula character (=, +, - or @).": "Empieza con un carácter de fórmula (=, +, - o @).",
    "Contains characters that are not allowed.": "Contiene caracteres no permitidos.",
    "Use a two-letter ISO 3166-1 country code, e.g. GT.": (
        "Use un código de país ISO 3166-1 de dos letras, p. ej. GT."
    ),
    "Use the format YYYY-MM-DD.": "Use el formato AAAA-MM-DD.",
    "This date does not exist.": "Esta fecha no existe.",
    "The cardholder must be between 18 and 120 years old.": (
        "El tarjetahabiente debe tener entre 18 y 120 años."
    ),
    "Choose one of: soltero, casado, viudo, divorciado, separado.": (
        "Elija uno de: soltero, casado, viudo, divorciado, separado."
    ),
    "Choose one of: F, M, OTHER.": "Elija uno de: F, M, OTHER.",
    "Use 8 to 15 digits, country code included.": "Use de 8 a 15 dígitos, con el código de país.",
    "Choose one of: DPI, NIT, PASSPORT, LEGAL_ID, PERSONAL_ID, RESIDENCE_ID.": (
        "Elija uno de: DPI, NIT, PASSPORT, LEGAL_ID, PERSONAL_ID, RESIDENCE_ID."
    ),
    "A DPI number has 13 digits.": "Un número de DPI tiene 13 dígitos.",
    "A NIT has 2 to 12 digits, optionally ending in K.": (
        "Un NIT tiene de 2 a 12 dígitos, opcionalmente terminado en K."
    ),
    "Use 5 to 20 letters or digits.": "Use de 5 a 20 letras o dígitos.",
    "Use 2 to 20 letters or digits.": "Use de 2 a 20 letras o dígitos.",
    "Use a positive whole number.": "Use un número entero positivo.",
    # phone numbers (phones.py, the phone fields' help, the list's search badge)
    "Use digits, spaces, dashes or brackets, and + before a country code.": (
        "Use dígitos, espacios, guiones o paréntesis, y + antes de un código de país."
    ),
    "Unknown country code.": "Código de país desconocido.",
    "Not a valid phone number for {region}.": "No es un número de teléfono válido para {region}.",
    "A number from {region}, or + and the country code for another country.": (
        "Un número de {region}, o + y el código de país si es de otro país."
    ),
    "Matched: {fields}": "Coincide: {fields}",
}

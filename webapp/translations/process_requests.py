"""Spanish for the top-up requests section (process requests)."""

ES: dict[str, str] = {
    # list
    "Top-up requests": "Solicitudes de recarga",
    "Requests to raise the partner's available balance. Another operator approves each one.": (
        "Solicitudes para aumentar el saldo disponible del socio. Otro operador aprueba cada una."
    ),
    "New top-up request": "Nueva solicitud de recarga",
    "Available balance": "Saldo disponible",
    "Updated": "Actualizado",
    "Unavailable right now": "No disponible en este momento",
    "Filter requests": "Filtrar solicitudes",
    "Status": "Estado",
    "From": "Desde",
    "To": "Hasta",
    "Apply": "Aplicar",
    "Clear filters": "Quitar filtros",
    "{count} requests, newest first": "{count} solicitudes, las más recientes primero",
    "Requested at": "Solicitada el",
    "Requested by": "Solicitada por",
    "Decided by": "Decidida por",
    "Decided at": "Decidida el",
    "Amount": "Monto",
    "No requests match these filters.": "Ninguna solicitud coincide con estos filtros.",
    "Change or clear the filters to see more.": "Cambie o quite los filtros para ver más.",
    "No top-up requests yet.": "Todavía no hay solicitudes de recarga.",
    "Requests appear here as soon as they are sent.": "Las solicitudes aparecen aquí en cuanto se envían.",
    "Unknown status.": "Estado desconocido.",
    "Use a date like 2026-01-31.": "Use una fecha como 2026-01-31.",
    "The end date is before the start date.": "La fecha final es anterior a la inicial.",
    "Breadcrumb": "Ruta de navegación",
    # statuses and outcomes
    "All": "Todos",  # the status filter's first choice, as on every list
    "Pending": "Pendiente",
    "Approved": "Aprobada",
    "Rejected": "Rechazada",
    "Cancelled": "Cancelada",
    "approved": "aprobada",
    "rejected": "rechazada",
    "cancelled": "cancelada",
    "success": "correcto",
    "failure": "fallido",
    "denied": "denegado",
    "unknown": "desconocido",
    # form
    "Observations": "Observaciones",
    "Evidence file": "Archivo de respaldo",
    "Enter the amount.": "Ingrese el monto.",
    "Use at most 500 characters.": "Use como máximo 500 caracteres.",
    "Use at most 200 characters.": "Use como máximo 200 caracteres.",
    "In {currency}, up to 2 decimals, for example {example}.": (
        "En {currency}, hasta 2 decimales, por ejemplo {example}."
    ),
    "Optional. What the top-up is for, the bank reference, anything the approver should know.": (
        "Opcional. Para qué es la recarga, la referencia bancaria, lo que deba saber quien aprueba."
    ),
    "Attached:": "Adjunto:",
    "— kept from your last attempt. Choose another file only to replace it.": (
        "— conservado de su intento anterior. Elija otro archivo solo para reemplazarlo."
    ),
    "PDF, JPEG, PNG or WEBP, up to {mb} MB. The type is checked by the file's content.": (
        "PDF, JPEG, PNG o WEBP, hasta {mb} MB. El tipo se comprueba por el contenido del archivo."
    ),
    "Send request": "Enviar solicitud",
    "Sending…": "Enviando…",
    "Cancel": "Cancelar",
    "Choose the evidence file: PDF, JPEG, PNG or WEBP, up to 10 MB.": (
        "Elija el archivo de respaldo: PDF, JPEG, PNG o WEBP, hasta 10 MB."
    ),
    "The file is larger than 10 MB.": "El archivo pesa más de 10 MB.",
    "The file is empty.": "El archivo está vacío.",
    "The file must be a PDF, JPEG, PNG or WEBP (checked by its content).": (
        "El archivo debe ser PDF, JPEG, PNG o WEBP (se comprueba por su contenido)."
    ),
    "The CMS did not accept the request.": "El CMS no aceptó la solicitud.",
    "Your input and the chosen file are kept: correct or retry.": (
        "Sus datos y el archivo elegido se conservan: corrija o reintente."
    ),
    "Outcome unknown — check the list before retrying.": (
        "Resultado desconocido: revise la lista antes de reintentar."
    ),
    "Open the list in a new tab": "Abrir la lista en otra pestaña",
    "Sending this form again is safe: it cannot create a second request.": (
        "Volver a enviar este formulario es seguro: no puede crear una segunda solicitud."
    ),
    "CMS said:": "El CMS respondió:",
    "Already being sent": "Ya se está enviando",
    "This request is already being sent. Check the list before sending it again.": (
        "Esta solicitud ya se está enviando. Revise la lista antes de enviarla de nuevo."
    ),
    "This decision is already being sent. Reload the request before trying again.": (
        "Esta decisión ya se está enviando. Recargue la solicitud antes de reintentar."
    ),
    "This action needs a fresh code: send one and enter it.": (
        "Esta acción necesita un código nuevo: solicítelo e ingréselo."
    ),
    # amounts
    "Enter a number, for example {example}.": "Ingrese un número, por ejemplo {example}.",
    "This is written in another number format. Use “{decimal}” for decimals, as in {example}.": (
        "Está escrito en otro formato numérico. Use «{decimal}» para los decimales, como en {example}."
    ),
    "“{typed}” is ambiguous: write {thousands} for the thousands, or at most {places} decimals.": (
        "«{typed}» es ambiguo: escriba {thousands} para los miles, o como máximo {places} decimales."
    ),
    "Use at most {places} decimals.": "Use como máximo {places} decimales.",
    "The amount must be greater than zero.": "El monto debe ser mayor que cero.",
    "The amount can be at most {maximum}.": "El monto puede ser como máximo {maximum}.",
    # detail
    "Top-up request #{id}": "Solicitud de recarga #{id}",
    "Summary": "Resumen",
    "Reason": "Motivo",
    "Approve…": "Aprobar…",
    "Reject…": "Rechazar…",
    "Cancel request…": "Cancelar solicitud…",
    "You sent this request, so another operator must approve or reject it.": (
        "Usted envió esta solicitud, así que otro operador debe aprobarla o rechazarla."
    ),
    "Waiting for an operator with approval rights.": "En espera de un operador con permiso para aprobar.",
    "Evidence": "Respaldo",
    "evidence": "respaldo",
    "Evidence of request #{id}": "Respaldo de la solicitud #{id}",
    "This file type cannot be previewed.": "Este tipo de archivo no se puede previsualizar.",
    "Download": "Descargar",
    "No evidence file.": "Sin archivo de respaldo.",
    "Activity in this console": "Actividad en esta consola",
    "Nothing recorded yet.": "Nada registrado todavía.",
    "Request sent": "Solicitud enviada",
    "Approval": "Aprobación",
    "Rejection": "Rechazo",
    "Cancellation": "Cancelación",
    "Evidence viewed": "Respaldo consultado",
    # decisions
    "Approve top-up request #{id}": "Aprobar la solicitud de recarga #{id}",
    "Reject top-up request #{id}": "Rechazar la solicitud de recarga #{id}",
    "Cancel top-up request #{id}": "Cancelar la solicitud de recarga #{id}",
    "You cannot approve or reject a request you sent yourself.": (
        "No puede aprobar ni rechazar una solicitud que usted mismo envió."
    ),
    "Another operator with approval rights must decide it. Nothing was changed.": (
        "Otro operador con permiso para aprobar debe decidirla. No se cambió nada."
    ),
    "Back to the request": "Volver a la solicitud",
    "Approving credits {amount} to the partner's available balance at once. This cannot be undone.": (
        "Al aprobar se acreditan {amount} al saldo disponible del socio de inmediato. No se puede deshacer."
    ),
    "Rejecting closes the request without changing the balance. The requester sees your reason.": (
        "Al rechazar se cierra la solicitud sin cambiar el saldo. Quien la envió verá su motivo."
    ),
    "Cancelling withdraws the request; the balance does not change.": (
        "Al cancelar se retira la solicitud; el saldo no cambia."
    ),
    "Required.": "Obligatorio.",
    "Optional.": "Opcional.",
    "Say why the request is rejected.": "Indique por qué se rechaza la solicitud.",
    "Approve and credit the balance": "Aprobar y acreditar el saldo",
    "Reject request": "Rechazar solicitud",
    "Cancel request": "Cancelar solicitud",
    "Back": "Volver",
    # outcomes (toasts)
    "Top-up request #{id} for {amount} sent. Another operator must approve it.": (
        "Solicitud de recarga #{id} por {amount} enviada. Otro operador debe aprobarla."
    ),
    "This request was already sent; here it is.": "Esta solicitud ya se había enviado; aquí está.",
    "Top-up request #{id} {verb}.": "Solicitud de recarga #{id} {verb}.",
    "Top-up request #{id} approved.": "Solicitud de recarga #{id} aprobada.",
    "Top-up request #{id} approved. The available balance is now {balance}.": (
        "Solicitud de recarga #{id} aprobada. El saldo disponible ahora es {balance}."
    ),
    "This request is already {status}.": "Esta solicitud ya está {status}.",
    "This request was decided in the meantime; here is its current state.": (
        "Esta solicitud se decidió mientras tanto; este es su estado actual."
    ),
    # dashboard link
    "View top-up requests": "Ver solicitudes de recarga",
    # when the connected CMS lacks an assumed operation (webapp/cms/capabilities.py)
    "This CMS does not offer approving or rejecting requests through the console.": (
        "Este CMS no permite aprobar ni rechazar solicitudes desde la consola."
    ),
    "This CMS does not offer the evidence file for viewing.": (
        "Este CMS no ofrece el archivo de evidencia para verlo."
    ),
    # the approver's queue (webapp/process_requests/queue.py)
    "Only the pending requests you may decide: the ones you sent are not here.": (
        "Solo las solicitudes pendientes que usted puede decidir: las que usted envió no aparecen aquí."
    ),
    "Decision": "Decisión",
}

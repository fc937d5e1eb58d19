# ruff: noqa: E501 - a catalog of sentences reads best one entry per line
"""Spanish for what the console says when the connected CMS lacks an assumed operation."""

ES: dict[str, str] = {
    "Not offered by this CMS": "No disponible en este CMS",
    "The CMS this console is connected to does not offer this.": "El CMS al que está conectada esta consola no ofrece esto.",
    "Not available here:": "No disponible aquí:",
    "The console's configuration switches it off.": "La configuración de la consola lo desactiva.",
    "The CMS answered that it has no such operation.": "El CMS respondió que no tiene esa operación.",
    "Unexpected answer from the CMS": "Respuesta inesperada del CMS",
    "The CMS answered in a way the console does not know.": "El CMS respondió de una forma que la consola no conoce.",
    "Code sent to {email}.": "Código enviado a {email}.",
    # capability descriptions (webapp/cms/capabilities.py)
    "say who is signed in and which partners they have": "decir quién inició sesión y qué socios tiene",
    "list partners and show their details": "listar socios y mostrar sus datos",
    "list and show CMS users": "listar y mostrar usuarios del CMS",
    "create CMS users, edit them and change their status": "crear usuarios del CMS, editarlos y cambiar su estado",
    "grant and revoke permissions": "otorgar y revocar permisos",
    "edit and close cardholders": "editar y cerrar tarjetahabientes",
    "list a cardholder's cards": "listar las tarjetas de un tarjetahabiente",
    "list a partner's cards": "listar las tarjetas de un socio",
    "activate, block and unblock cards": "activar, bloquear y desbloquear tarjetas",
    "show the status and row results of a bulk upload": "mostrar el estado y los resultados por fila de una carga masiva",
    "show one top-up request and its evidence": "mostrar una solicitud de recarga y su evidencia",
    "approve, reject and cancel top-up requests": "aprobar, rechazar y cancelar solicitudes de recarga",
}

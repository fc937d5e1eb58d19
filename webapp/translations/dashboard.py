"""Spanish for the partner dashboard."""

ES: dict[str, str] = {
    "Dashboard": "Panel",
    "Available balance": "Saldo disponible",
    "Updated": "Actualizado",
    "Cardholders": "Tarjetahabientes",
    "registered with this partner": "registrados con este socio",
    "Pending top-up requests": "Solicitudes de recarga pendientes",
    "waiting for a decision": "en espera de una decisión",
    "Waiting for your decision": "Esperan su decisión",
    "Oldest sent": "La más antigua:",
    "Nothing to decide right now.": "Nada que decidir por ahora.",
    "Review the requests": "Revisar las solicitudes",
    "Unavailable right now": "No disponible en este momento",
    "The CMS did not answer for this figure. The rest of the page is current.": (
        "El CMS no respondió para esta cifra. El resto de la página está actualizado."
    ),
    "Your permissions on this partner do not include any dashboard figures.": (
        "Sus permisos en este socio no incluyen ninguna cifra del panel."
    ),
}

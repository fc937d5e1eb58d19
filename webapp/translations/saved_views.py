"""Spanish for saved views (webapp/saved_views/)."""

ES: dict[str, str] = {
    "Saved views": "Vistas guardadas",
    "Save this view": "Guardar esta vista",
    "View name": "Nombre de la vista",
    "View name: enter a name for this view.": "Nombre de la vista: escriba un nombre para esta vista.",
    "View name: at most 60 characters.": "Nombre de la vista: 60 caracteres como máximo.",
    "View name: you already have a view called “{name}” on this list.": (
        "Nombre de la vista: ya tiene una vista llamada «{name}» en esta lista."
    ),
    "Share with colleagues on this partner": "Compartir con colegas de este socio",
    "Keeps the filters and sort. A search text is never saved.": (
        "Guarda los filtros y el orden. El texto de búsqueda nunca se guarda."
    ),
    "View “{name}” saved.": "Vista «{name}» guardada.",
    "View “{name}” deleted.": "Vista «{name}» eliminada.",
    "Shared by {email}": "Compartida por {email}",
    "shared": "compartida",
    "Manage saved views": "Administrar vistas guardadas",
    "No saved views yet": "Aún no hay vistas guardadas",
    "Open a list, set its filters and sort, then use “Save this view”.": (
        "Abra una lista, elija sus filtros y orden, y use «Guardar esta vista»."
    ),
    "List": "Lista",
    "Shared": "Compartida",
    "Back to the list": "Volver a la lista",
    "Save": "Guardar",
    "Delete": "Eliminar",
    "Yes": "Sí",
    "No": "No",
}

"""Spanish for partners, CMS users, modules and permissions, the permission editor and permission audits."""
# ruff: noqa: E501  (catalog keys are whole English sentences; splitting them would hide them from grep)

ES: dict[str, str] = {
    # partners
    "Partners": "Socios",
    "Partner": "Socio",
    "The partners assigned to your account. Every screen works on one of them.": (
        "Los socios asignados a su cuenta. Cada pantalla trabaja con uno de ellos."
    ),
    "No partner is assigned to your account yet.": "Su cuenta aún no tiene socios asignados.",
    "Ask an administrator to assign one.": "Pida a un administrador que le asigne uno.",
    "Legal name": "Razón social",
    "Country": "País",
    "Currency": "Moneda",
    "Features": "Funciones",
    "Brand": "Marca",
    "Created": "Creado",
    "Open": "Abrir",
    "Actions": "Acciones",
    "All my partners": "Todos mis socios",
    "Your permissions do not include the balance.": "Sus permisos no incluyen el saldo.",
    "Available balance": "Saldo disponible",
    "Updated": "Actualizado",
    "Unavailable right now": "No disponible en este momento",
    # users
    "Users": "Usuarios",
    "User": "Usuario",
    "{count} users": "{count} usuarios",
    "New user": "Nuevo usuario",
    "All": "Todos",
    "Active": "Activo",
    "Inactive": "Inactivo",
    "Admin": "Administrador",
    "You": "Usted",
    "Status": "Estado",
    "Search": "Buscar",
    "Search by name or email": "Buscar por nombre o correo",
    "Clear": "Limpiar",
    "No users match.": "Ningún usuario coincide.",
    "Try another search or status.": "Pruebe otra búsqueda u otro estado.",
    "Name": "Nombre",
    "Email": "Correo electrónico",
    "Last sign-in": "Último ingreso",
    "Never": "Nunca",
    "Permissions": "Permisos",
    "Previous": "Anterior",
    "Next": "Siguiente",
    "Pages": "Páginas",
    "Page {page} of {pages}": "Página {page} de {pages}",
    "Edit": "Editar",
    "Edit permissions": "Editar permisos",
    "Activate": "Activar",
    "Deactivate": "Desactivar",
    "All users": "Todos los usuarios",
    "Account": "Cuenta",
    "Code for sensitive actions": "Código para acciones sensibles",
    "Required": "Requerido",
    "Not required": "No requerido",
    "Assigned partners": "Socios asignados",
    "Permissions per partner": "Permisos por socio",
    "Not available to you on this partner.": "No disponible para usted en este socio.",
    "No permissions.": "Sin permisos.",
    "Changes made in this console": "Cambios hechos en esta consola",
    "None recorded yet.": "Aún no hay registros.",
    "When": "Cuándo",
    "Who": "Quién",
    "What": "Qué",
    "Outcome": "Resultado",
    "The user is assigned to {partner} with no permissions. Grant them afterwards in the permission editor.": (
        "El usuario queda asignado a {partner} sin permisos. Otórguelos después en el editor de permisos."
    ),
    "Initial password": "Contraseña inicial",
    "12 to 128 characters, letters and digits. Share it with the person privately.": (
        "De 12 a 128 caracteres, con letras y dígitos. Compártala con la persona en privado."
    ),
    "Create user": "Crear usuario",
    "Cancel": "Cancelar",
    "Edit user": "Editar usuario",
    "Save changes": "Guardar cambios",
    "Activate user": "Activar usuario",
    "Deactivate user": "Desactivar usuario",
    "{name} will be able to sign in again with the permissions they hold.": (
        "{name} podrá ingresar de nuevo con los permisos que tiene."
    ),
    "{name} will not be able to sign in. Their permissions are kept and return if they are activated again.": (
        "{name} no podrá ingresar. Sus permisos se conservan y vuelven si se activa de nuevo."
    ),
    "Enter the name.": "Ingrese el nombre.",
    "At most 100 characters.": "Como máximo 100 caracteres.",
    "At most 254 characters.": "Como máximo 254 caracteres.",
    "At most 300 characters.": "Como máximo 300 caracteres.",
    "Enter the email address.": "Ingrese el correo electrónico.",
    "Enter a valid email address.": "Ingrese un correo electrónico válido.",
    "Enter an initial password.": "Ingrese una contraseña inicial.",
    "Between 12 and 128 characters.": "Entre 12 y 128 caracteres.",
    "Use letters and digits.": "Use letras y dígitos.",
    "This user was already created.": "Este usuario ya fue creado.",
    "This form was already sent. Check the list before retrying.": (
        "Este formulario ya se envió. Revise la lista antes de reintentar."
    ),
    "This action needs a fresh code: send one and enter it.": (
        "Esta acción necesita un código nuevo: envíe uno e ingréselo."
    ),
    "A CMS user with this email already exists.": "Ya existe un usuario del CMS con este correo.",
    "The CMS did not answer in time: check the user list before sending again.": (
        "El CMS no respondió a tiempo: revise la lista de usuarios antes de enviar de nuevo."
    ),
    "User {name} created. They have no permissions yet.": "Usuario {name} creado. Aún no tiene permisos.",
    "Nothing changed.": "No cambió nada.",
    "Changes saved.": "Cambios guardados.",
    "User activated.": "Usuario activado.",
    "User deactivated.": "Usuario desactivado.",
    # modules and permissions
    "Modules and permissions": "Módulos y permisos",
    "New permission": "Nuevo permiso",
    "Each module carries resource:action permissions, granted per user and partner. Sensitive ones are marked.": (
        "Cada módulo agrupa permisos recurso:acción, que se otorgan por usuario y socio. Los sensibles están "
        "marcados."
    ),
    "Choose a user to edit their permissions.": "Elija un usuario para editar sus permisos.",
    "No modules.": "No hay módulos.",
    "Permission": "Permiso",
    "Description": "Descripción",
    "Sensitivity": "Sensibilidad",
    "Unknown permissions are not enforced.": "Los permisos desconocidos no se aplican.",
    "The CMS stores any resource:action you create, but only the platform's own code checks permissions. A "
    "permission the platform does not know protects nothing: granting it changes nobody's access.": (
        "El CMS guarda cualquier recurso:acción que cree, pero solo el código de la plataforma verifica permisos. "
        "Un permiso que la plataforma no conoce no protege nada: otorgarlo no cambia el acceso de nadie."
    ),
    "Resource": "Recurso",
    "Action": "Acción",
    "Enter the resource.": "Ingrese el recurso.",
    "Enter the action.": "Ingrese la acción.",
    "Start with a lower-case letter; letters, digits, - and _ only; at most 50.": (
        "Comience con una minúscula; solo letras, dígitos, - y _; como máximo 50."
    ),
    "I understand that the platform does not enforce a permission it does not know.": (
        "Entiendo que la plataforma no aplica un permiso que no conoce."
    ),
    "Confirm that you read the warning.": "Confirme que leyó la advertencia.",
    "Create permission": "Crear permiso",
    "Permission {name} created. The platform does not enforce it.": (
        "Permiso {name} creado. La plataforma no lo aplica."
    ),
    # the editor
    "Permissions of {name}": "Permisos de {name}",
    "User details": "Datos del usuario",
    "You cannot change your own permissions. Ask another administrator.": (
        "No puede cambiar sus propios permisos. Pídalo a otro administrador."
    ),
    "You cannot change your own permissions.": "No puede cambiar sus propios permisos.",
    "You cannot grant or revoke a permission you do not hold on this partner.": (
        "No puede otorgar ni revocar un permiso que usted no tiene en este socio."
    ),
    "You do not hold this permission, so you cannot change it.": "Usted no tiene este permiso; no puede cambiarlo.",
    "Start from another user's permissions (same as)": "Partir de los permisos de otro usuario (igual que)",
    "Copy": "Copiar",
    "The grid shows the permissions of {name}. Nothing is saved until you preview and save.": (
        "La cuadrícula muestra los permisos de {name}. No se guarda nada hasta revisar y guardar."
    ),
    "Modules and actions": "Módulos y acciones",
    "Module": "Módulo",
    "Other actions": "Otras acciones",
    "sensitive": "sensible",
    "changed": "cambiado",
    "Greyed boxes are permissions you do not hold: you cannot change them.": (
        "Las casillas en gris son permisos que usted no tiene: no puede cambiarlas."
    ),
    "Review the change": "Revise el cambio",
    "Granted": "Otorgados",
    "Revoked": "Revocados",
    "Nothing": "Nada",
    "Reason for the change": "Motivo del cambio",
    "Kept in the audit trail with the before and after.": "Se guarda en la bitácora con el antes y el después.",
    "Preview again": "Revisar de nuevo",
    "Discard": "Descartar",
    "No change to preview: the grid matches the current permissions.": (
        "No hay cambios que revisar: la cuadrícula coincide con los permisos actuales."
    ),
    "Preview changes": "Revisar cambios",
    "Say why these permissions change.": "Indique por qué cambian estos permisos.",
    "Only part of the change was saved. Review the grid before trying again.": (
        "Solo se guardó parte del cambio. Revise la cuadrícula antes de reintentar."
    ),
    "Permissions saved: {granted} granted, {revoked} revoked.": (
        "Permisos guardados: {granted} otorgados, {revoked} revocados."
    ),
    # audits
    "Permission audit": "Auditoría de permisos",
    "Who can do what, where: every user's permissions, who holds the sensitive ones, risky combinations and "
    "dormant users. Each run is saved, so the next one shows what changed.": (
        "Quién puede hacer qué y dónde: los permisos de cada usuario, quién tiene los sensibles, combinaciones "
        "riesgosas y usuarios inactivos. Cada ejecución se guarda, así la siguiente muestra qué cambió."
    ),
    "Run an audit": "Ejecutar una auditoría",
    "All my partners ({count})": "Todos mis socios ({count})",
    "Run audit": "Ejecutar auditoría",
    "Running an audit needs users:list and users:detail on this partner.": (
        "Ejecutar una auditoría requiere users:list y users:detail en este socio."
    ),
    'Not included in "all my partners" (missing users:list or users:detail): {names}': (
        'No incluidos en "todos mis socios" (les falta users:list o users:detail): {names}'
    ),
    "What the audit checks": "Qué revisa la auditoría",
    "Who may run it": "Quién puede ejecutarla",
    "anyone holding users:list and users:detail on the partner. It only reads; a read-only auditor can run and "
    "export it.": (
        "quien tenga users:list y users:detail en el socio. Solo lee; un auditor de solo lectura puede ejecutarla "
        "y exportarla."
    ),
    "Sensitive permissions": "Permisos sensibles",
    "money movement (cards-admin:addFunds, withdrawFunds, transfer), partner balance (balance-management:*), "
    "personal data (cardholders:otp, cardholders:detail), user administration (users:*).": (
        "movimiento de dinero (cards-admin:addFunds, withdrawFunds, transfer), saldo del socio "
        "(balance-management:*), datos personales (cardholders:otp, cardholders:detail), administración de "
        "usuarios (users:*)."
    ),
    "Dormant": "Inactivo por tiempo",
    "no sign-in for {days} days (or never), while holding a sensitive permission.": (
        "sin ingresar en {days} días (o nunca), con algún permiso sensible."
    ),
    "Earlier audits": "Auditorías anteriores",
    "No audit has been run for this partner yet.": "Aún no se ha auditado este socio.",
    "By": "Por",
    "Grants": "Permisos otorgados",
    "Audit saved.": "Auditoría guardada.",
    "Audits": "Auditorías",
    "Export CSV": "Exportar CSV",
    "Export XLSX": "Exportar XLSX",
    "Risky combinations": "Combinaciones riesgosas",
    "Dormant with sensitive permissions": "Inactivos con permisos sensibles",
    "No sign-in for {days} days": "Sin ingresar en {days} días",
    "Changes since the previous audit": "Cambios desde la auditoría anterior",
    "This is the first audit of these partners: nothing to compare with.": (
        "Es la primera auditoría de estos socios: no hay con qué comparar."
    ),
    "No change since the audit of {when}.": "Sin cambios desde la auditoría del {when}.",
    "Compared with the audit of {when}.": "Comparado con la auditoría del {when}.",
    "Gained": "Ganó",
    "Lost": "Perdió",
    "Flags": "Alertas",
    "No risky combination and no dormant holder of a sensitive permission.": (
        "Ninguna combinación riesgosa y ningún usuario inactivo con permisos sensibles."
    ),
    "Flag": "Alerta",
    "Who holds each sensitive permission": "Quién tiene cada permiso sensible",
    "Nobody holds a sensitive permission.": "Nadie tiene permisos sensibles.",
    "Category": "Categoría",
    "Holders": "Titulares",
    "Users × permissions": "Usuarios × permisos",
    "Rows": "Filas",
    "All rows ({count})": "Todas las filas ({count})",
    "Flagged only": "Solo con alertas",
    "No rows.": "Sin filas.",
    "yes": "sí",
    "Money movement": "Movimiento de dinero",
    "Partner balance": "Saldo del socio",
    "Personal data": "Datos personales",
    "User administration": "Administración de usuarios",
    "Requests and approves top-ups": "Solicita y aprueba recargas",
    "Can create process requests (balance-management:create) and approve them (approvals:update) on the same "
    "partner: one person could move money without a second pair of eyes.": (
        "Puede crear solicitudes de proceso (balance-management:create) y aprobarlas (approvals:update) en el "
        "mismo socio: una sola persona podría mover dinero sin un segundo revisor."
    ),
    "User administration and money movement": "Administración de usuarios y movimiento de dinero",
    "Can change users or their permissions and also move money on cards on the same partner: they could grant "
    "themselves through a colleague's account what a second person should hold.": (
        "Puede cambiar usuarios o sus permisos y además mover dinero en tarjetas en el mismo socio: podría "
        "otorgarse, mediante la cuenta de un colega, lo que debería tener otra persona."
    ),
}

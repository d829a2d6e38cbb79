# A document-sharing policy with folders, rule types and an attribute check on documents.

type is_owner(user: User, document: Document);

allow(actor, action, resource) if has_permission(actor, action, resource);

allow(user: User, "read", document: Document) if
  document.public = true and
  not (user.suspended = true);

actor User {}

resource Folder {
  roles = ["viewer", "editor"];
  permissions = ["list", "upload"];

  "list" if "viewer";
  "upload" if "editor";
  "viewer" if "editor";
}

resource Document {
  roles = ["viewer", "editor", "owner"];
  permissions = ["read", "edit", "share", "delete"];
  relations = { folder: Folder };

  "viewer" if "viewer" on "folder";
  "editor" if "editor" on "folder";
  "editor" if "owner";
  "viewer" if "editor";

  "read" if "viewer";
  "edit" if "editor";
  "share" if "owner";
  "delete" if "owner";
}

has_role(user: User, role: String, folder: Folder) if role in folder.roles_of(user.id);

has_role(user: User, role: String, document: Document) if role in document.roles_of(user.id);

has_role(user: User, "owner", document: Document) if is_owner(user, document);

is_owner(user: User, document: Document) if document.owner_id = user.id;

has_relation(folder: Folder, "folder", document: Document) if document.folder_id = folder.id;

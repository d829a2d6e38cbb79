# A GitHub-like authorization policy: organizations own repositories, repositories hold issues.
# Roles are granted directly or inherited through relations (cross-resource shorthand rules).

allow(actor, action, resource) if has_permission(actor, action, resource);

actor User {}

resource Organization {
  roles = ["member", "admin"];
  permissions = ["read", "create_repository", "manage_members"];

  "read" if "member";
  "create_repository" if "admin";
  "manage_members" if "admin";

  "member" if "admin";
}

resource Repository {
  roles = ["reader", "writer", "maintainer"];
  permissions = ["read", "push", "delete", "create_issue"];
  relations = { organization: Organization };

  "reader" if "member" on "organization";
  "maintainer" if "admin" on "organization";

  "writer" if "maintainer";
  "reader" if "writer";

  "read" if "reader";
  "create_issue" if "reader";
  "push" if "writer";
  "delete" if "maintainer";
}

resource Issue {
  permissions = ["read", "comment", "close"];
  relations = { repository: Repository, author: User };

  "read" if "read" on "repository";
  "comment" if "read";
  "close" if "push" on "repository";
  "close" if "author";
}

has_role(user: User, name: String, org: Organization) if
  membership in user.memberships and
  membership.organization = org and
  membership.role = name;

has_role(user: User, name: String, repo: Repository) if
  grant in repo.grants and
  grant.user = user and
  grant.role = name;

has_relation(org: Organization, "organization", repo: Repository) if repo.organization = org;

has_relation(repo: Repository, "repository", issue: Issue) if issue.repository = repo;

has_relation(user: User, "author", issue: Issue) if issue.author = user;

# Public repositories can be read by anyone.
has_permission(_: User, "read", repo: Repository) if repo.is_public = true;

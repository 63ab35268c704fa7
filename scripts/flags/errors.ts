// The flags tool's user errors are the project's one user-error type; the CLI exits 1 on them.
export { UserError } from "../../settings/userError";

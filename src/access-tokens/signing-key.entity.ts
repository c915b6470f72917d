import { Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn, StringColumn, TextColumn, TimestampColumn } from '../database/columns.js';

@Entity('signing_keys')
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @StringColumn(16)
  algorithm: 'ES256';

  @JsonColumn()
  publicJwk: Record<string, string>;

  /** PKCS#8 PEM, AES-256-GCM encrypted. */
  @TextColumn()
  privateKeyEncrypted: string;

  @TimestampColumn()
  createdAt: Date;

  @TimestampColumn({ nullable: true })
  retiredAt: Date | null;
}

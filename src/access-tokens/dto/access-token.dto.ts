import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { MAX_ACCESS_TOKEN_LENGTH } from '../token-codec.js';

export class AccessTokenBodyDto {
  @ApiProperty({ description: 'an access token issued by Zerokey', maxLength: MAX_ACCESS_TOKEN_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_ACCESS_TOKEN_LENGTH)
  accessToken: string;
}

export class IssuedTokenDto {
  @ApiProperty() accessToken: string;
  @ApiProperty({ description: 'lifetime the token actually got, in seconds' }) expiresIn: number;
  @ApiProperty({ description: 'maximum lifetime through renewals, in seconds' }) accessTokenMaxTTL: number;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
}

export class RevokedDto {
  @ApiProperty({ example: 'Successfully revoked access token' }) message: string;
}
